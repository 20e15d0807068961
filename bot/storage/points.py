"""The points ledger (党建积分) and its running totals."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session, select

from bot.storage.models import PointsEntry, ProcessedMessage
from scheduler.periods import period_keys

__all__ = ["award_points", "claim_message"]

_ADD = text("UPDATE points_total SET points = points + :amount WHERE member_id = :member AND period_key = :key")
_NEW = text("INSERT INTO points_total (member_id, period_key, points) VALUES (:member, :key, :amount)")


def award_points(*, session: Session, member_id: int, amount: int, reason: str, source: str,
                 now: datetime) -> bool:
    """Append to the ledger and bump the period totals, in the caller's transaction.
    False when (reason, source) was already awarded; the unique constraint catches a
    concurrent duplicate at commit."""
    exists = session.exec(select(PointsEntry.id).where(PointsEntry.reason == reason,
                                                       PointsEntry.source == source)).first()
    if exists is not None:
        return False
    session.add(PointsEntry(member_id=member_id, amount=amount, reason=reason, source=source, created_at=now))
    # Plain UPDATE-then-INSERT rather than a dialect upsert: it runs the same on SQLite and PostgreSQL.
    for key in period_keys(now.date()):
        params = {"amount": amount, "member": member_id, "key": key}
        if session.execute(_ADD, params).rowcount == 0:
            session.execute(_NEW, params)
    return True


def claim_message(*, session: Session, channel: str, message_id: str, now: datetime) -> bool:
    """Record a platform message id; False if it was seen before (a platform retry)."""
    if session.get(ProcessedMessage, (channel, message_id)) is not None:
        return False
    session.add(ProcessedMessage(channel=channel, message_id=message_id, received_at=now))
    return True
