"""The schema's history as Alembic revisions: env.py (run on a connection handed over by bot/storage/schema.py),
versions/ (one file a revision), baseline/ (revision 0001's tables, frozen) and legacy (how 0001 brings a database
made before Alembic up to it). docs/migrations.md says how to add a revision."""
