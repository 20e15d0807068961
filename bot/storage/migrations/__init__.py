"""The schema's history as Alembic revisions: env.py (run on a connection handed over by bot/storage/schema.py),
versions/ (one file a revision), baseline/ (revision 0001's tables, frozen) and legacy (how 0001 brings a database
made before Alembic up to it). docs/migrations.md says how to add a revision."""

# this code's newest revision, read at every start without Alembic (bot/storage/schema.py); a new revision moves it,
# and tests/test_migrations.py checks it is what the revisions' files say
HEAD = "0005"
