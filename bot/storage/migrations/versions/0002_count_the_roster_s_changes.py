"""Count the roster's changes: a change_count table whose 'member' row triggers move whenever a member is added,
removed or changed (../member_changes.py)

What the 三会一课 requirements read from the roster is then remembered until that count moves
(bot/storage/roster_cache.py): 总览 and 三会一课 no longer group 100,000 members on every request
(bench/dashboard.py).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.storage.migrations.member_changes import count_member_changes, stop_counting_member_changes

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table("change_count",
                    sa.Column("name", sa.String(50), nullable=False),
                    sa.Column("n", sa.BigInteger(), server_default="0", nullable=False),
                    sa.PrimaryKeyConstraint("name"))
    op.execute("INSERT INTO change_count (name, n) VALUES ('member', 0)")
    count_member_changes(op.get_bind())


def downgrade() -> None:
    stop_counting_member_changes(op.get_bind())
    op.drop_table("change_count")
