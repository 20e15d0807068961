"""Services: glue between the pure domain, the store and outgoing messages."""
