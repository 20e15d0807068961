"""What the channel adapters share, one of each: rate window, text splitting, mention stripping,
log masking, reconnect backoff, callback checks, the reply cache and the group-webhook lanes."""
