"""Scheduled work: the APScheduler job store and its runners, and the outbox worker."""
