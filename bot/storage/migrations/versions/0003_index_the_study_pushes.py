"""Index the study pushes: ix_outbox_study on the outbox (kind, item, status, group or not, branch, sent at), so 学习
counts the pushes per item and the (item, branch) pairs they reached from the index, not from every row of a year's
outbox (bench/dashboard.py)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

COLUMNS = ["kind", "item_id", "status", "is_group", "branch_id", "sent_at"]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # a big outbox keeps taking pushes while the index is built
        with op.get_context().autocommit_block():
            op.create_index("ix_outbox_study", "outbox", COLUMNS, postgresql_concurrently=True, if_not_exists=True)
        return
    op.create_index("ix_outbox_study", "outbox", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_outbox_study", table_name="outbox")
