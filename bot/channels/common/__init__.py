"""What the channel adapters share, one of each: rate window, text splitting, mention stripping,
log masking, reconnect backoff, callback checks, the reply cache, the send lanes (a queue by
priority and a window per destination) and the group-webhook lanes."""
