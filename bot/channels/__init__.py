"""Channel adapters: each platform's package alone speaks its wire format; `registry` builds them."""
