"""Note a push handed to its channel: outbox.handed_at, stored before an attempt may leave and cleared when it is
recorded, so a push whose sender died mid-send is known for one that may be in the chat already and is not sent a
second time (bot/jobs/outbox_worker.py)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # a nullable column: SQLite and PostgreSQL add it without copying or rewriting the outbox
    op.add_column("outbox", sa.Column("handed_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("handed_at")
