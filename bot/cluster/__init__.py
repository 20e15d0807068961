"""Several `studybot run` on one PostgreSQL database: one leader at a time (a lease row in the database, with an
epoch that fences a stale leader's writes), standbys that serve HTTP and hand the messages they take to the
leader through the inbox table. See docs/cluster.md."""
