"""Link a push to the page it is about: outbox.link, which the Official Account's template message opens (a
contest's live page for a WeChat branch's members, the members' pages after a binding is decided)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # a nullable column: SQLite and PostgreSQL add it without copying or rewriting the outbox
    op.add_column("outbox", sa.Column("link", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("link")
