"""The tables of several instances on one PostgreSQL: the leader's lease and the inbox of messages a standby took.
Their times are the database's own (`now()`, with time zone): no instance's clock decides who leads."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = ["LeaderLease", "InboxRow"]


class LeaderLease(SQLModel, table=True):
    """Who leads (`holder`, one process) until `expires_at`; `epoch` grows by one at every takeover, so a write
    made under an old epoch is known for a stale leader's."""
    __tablename__ = "leader_lease"
    name: str = Field(primary_key=True, max_length=50)
    holder: str = Field(max_length=200)
    epoch: int = Field(sa_column=Column(BigInteger, nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    renewed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class InboxRow(SQLModel, table=True):
    """A message a standby verified and took (and answered the platform for): the leader claims it, handles it
    and sends the replies actively. Deleted once handled; (channel, message_id) keeps a platform's retry out."""
    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("channel", "message_id"), Index("ix_inbox_lease", "lease_until", "id"))
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    message_id: str = Field(max_length=200)
    payload: str = Field(sa_column=Column(Text, nullable=False))  # the Incoming as JSON
    taken_by: str = Field(max_length=200)  # the standby that took it
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    claimed_by: str | None = Field(default=None, max_length=200)
    lease_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
