"""Channel adapters: each one alone speaks its platform's wire format."""
