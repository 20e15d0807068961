"""The schema as studybot left it before Alembic (its schema_version 11)

Made whole in a new database. A database made before Alembic (schema_version 1 to 11, no revision yet) is brought
up to it by the steps it used to take at every start (../legacy.py), keeping its rows.

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

from bot.storage.migrations.baseline import BASELINE_SCHEMA_VERSION, baseline_metadata, guard_ledger
from bot.storage.migrations.legacy import bring_legacy_up, legacy_version

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    conn = op.get_bind()
    metadata = baseline_metadata()
    if legacy_version(conn) is not None:
        bring_legacy_up(conn, metadata)
    else:
        metadata.create_all(conn)
        conn.execute(text("INSERT INTO schema_version (id, version) VALUES (1, :version)"),
                     {"version": BASELINE_SCHEMA_VERSION})
    guard_ledger(conn)


def downgrade() -> None:
    raise NotImplementedError("0001 is the first schema: going below it would drop every table")
