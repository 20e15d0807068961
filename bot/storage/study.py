"""已学: which study items each member has read."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.storage.models import Member, StudyRead
from bot.storage.once import add_once

__all__ = ["has_read", "mark_read"]


def has_read(*, session: Session, member_id: int, item_id: str) -> bool:
    return session.exec(select(StudyRead.id).where(StudyRead.member_id == member_id,
                                                   StudyRead.item_id == item_id)).first() is not None


def mark_read(*, session: Session, member_id: int, item_id: str, now: datetime) -> bool:
    """Record the item read; False when it was already (the same 已学 from another instance a moment ago)."""
    member = session.get(Member, member_id)  # the row carries the member's branch (bot/storage/branch_columns.py)
    return add_once(session, StudyRead(member_id=member_id, item_id=item_id, read_at=now,
                                       branch_id=member.branch_id if member else None))
