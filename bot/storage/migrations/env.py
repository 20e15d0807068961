"""Alembic's environment, run by bot/storage/schema.py (and scripts/new_migration.py) on the connection they hand
over in config.attributes, holding the upgrade lock: there is no alembic.ini and no offline (--sql) mode. The models'
metadata is handed over only to compare with them (autogenerate); an upgrade reads the revisions alone."""

from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData

from bot.storage.migrations.compare import compare_options

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("studybot's migrations run on a connection handed over by bot.storage.schema")
metadata = context.config.attributes.get("metadata")
options = compare_options(metadata) if isinstance(metadata, MetaData) else {"render_as_batch": True}
context.configure(connection=connection, **options)
with context.begin_transaction():
    context.run_migrations()
