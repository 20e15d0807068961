"""Revision 0001, frozen: the tables of several instances on one PostgreSQL (the leader's lease, the inbox) as
the models stood at studybot's last schema before Alembic. Never edited: a change is a new revision."""

from __future__ import annotations

import sqlalchemy as sa

__all__ = ["add_cluster"]


def add_cluster(metadata: sa.MetaData) -> None:
    sa.Table("leader_lease", metadata,
             sa.Column("name", sa.String(50), primary_key=True),
             sa.Column("holder", sa.String(200), nullable=False),
             sa.Column("epoch", sa.BigInteger(), nullable=False),
             sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
             sa.Column("renewed_at", sa.DateTime(timezone=True), nullable=False))
    sa.Table("inbox", metadata,
             sa.Column("id", sa.Integer(), primary_key=True),
             sa.Column("channel", sa.String(20), nullable=False),
             sa.Column("message_id", sa.String(200), nullable=False),
             sa.Column("payload", sa.Text(), nullable=False),
             sa.Column("taken_by", sa.String(200), nullable=False),
             sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
             sa.Column("claimed_by", sa.String(200)),
             sa.Column("lease_until", sa.DateTime(timezone=True)),
             sa.UniqueConstraint("channel", "message_id"),
             sa.Index("ix_inbox_lease", "lease_until", "id"))
