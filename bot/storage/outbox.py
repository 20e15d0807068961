"""The outbox: pushes are written here first, in the transaction of whatever decided to push, and
sent later by the outbox worker (bot/jobs/outbox_worker.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.storage.fast import DriverStatement
from bot.storage.models import OutboxRow

__all__ = ["Push", "enqueue", "pending_due", "next_pending", "mark_sent", "mark_attempt", "recent_sends",
           "last_item_for_branch", "outbox_counts"]

_INSERT = DriverStatement(
    "INSERT INTO outbox (key, kind, channel, chat_id, chat_name, is_group, text, markdown, item_id, branch_id, "
    "due_at, created_at, status, attempts, unconfirmed, last_error) VALUES (:key, :kind, :channel, :chat_id, "
    ":chat_name, :is_group, :text, :markdown, :item_id, :branch_id, :due_at, :created_at, 'pending', 0, 0, '') "
    "ON CONFLICT (key) DO NOTHING")


@dataclass(frozen=True)
class Push:
    key: str
    kind: str
    channel: str
    chat_id: str
    chat_name: str
    is_group: bool
    text: str
    due_at: datetime
    markdown: str | None = None
    item_id: str | None = None
    branch_id: int | None = None


def enqueue(*, session: Session, pushes: list[Push], now: datetime) -> int:
    """Write the pushes not written before (by key); how many were new. In the caller's transaction."""
    if not pushes:
        return 0
    rows = [{"key": p.key[:400], "kind": p.kind, "channel": p.channel, "chat_id": p.chat_id,
             "chat_name": p.chat_name, "is_group": p.is_group, "text": p.text, "markdown": p.markdown,
             "item_id": p.item_id, "branch_id": p.branch_id, "due_at": p.due_at, "created_at": now}
            for p in pushes]
    return _INSERT.execute(session.connection(), rows)


def pending_due(*, session: Session, now: datetime, limit: int = 500, after: tuple[datetime, int] | None = None,
                channels: list[str] | None = None) -> list[OutboxRow]:
    """Pending rows due by `now` (for `channels` only, when given), oldest first; `after` (due_at, id)
    continues from a previous page."""
    query = select(OutboxRow).where(OutboxRow.status == "pending", OutboxRow.due_at <= now)
    if channels is not None:
        query = query.where(col(OutboxRow.channel).in_(channels))
    if after is not None:
        due, row_id = after
        query = query.where((OutboxRow.due_at > due) | ((OutboxRow.due_at == due) & (OutboxRow.id > row_id)))
    return list(session.exec(query.order_by(OutboxRow.due_at, OutboxRow.id).limit(limit)))


def next_pending(*, session: Session, after: datetime | None = None, before: datetime | None = None,
                 channels: list[str] | None = None) -> datetime | None:
    """The earliest due time of a pending row (strictly after `after`, or at or before `before`)."""
    query = select(func.min(OutboxRow.due_at)).where(OutboxRow.status == "pending")
    if channels is not None:
        query = query.where(col(OutboxRow.channel).in_(channels))
    if after is not None:
        query = query.where(OutboxRow.due_at > after)
    if before is not None:
        query = query.where(OutboxRow.due_at <= before)
    return session.exec(query).one()


def mark_sent(*, session: Session, row_id: int, now: datetime) -> None:
    row = session.get(OutboxRow, row_id)
    if row is not None:
        row.status, row.sent_at, row.attempts = "sent", now, row.attempts + 1
        session.add(row)


def mark_attempt(*, session: Session, row_id: int, error: str, retry_at: datetime | None,
                 maybe_received: bool = False) -> None:
    """A send without the platform's yes (`maybe_received`: it may have reached the chat all the same):
    retried at `retry_at`, or given up when None (unsure if an attempt may have reached it, else failed)."""
    row = session.get(OutboxRow, row_id)
    if row is not None:
        row.attempts += 1
        row.unconfirmed += maybe_received
        row.last_error = error[:300]
        if retry_at is None:
            row.status = "unsure" if row.unconfirmed else "failed"
        else:
            row.due_at = retry_at
        session.add(row)


def postpone(*, session: Session, row_id: int, error: str, until: datetime) -> None:
    """The platform takes nothing now for a reason someone must fix (a used-up quota, a missing
    permission): the row stays pending until `until`, the wait not counted as an attempt."""
    row = session.get(OutboxRow, row_id)
    if row is not None:
        row.last_error = error[:300]
        row.due_at = until
        session.add(row)


def recent_sends(*, session: Session, since: datetime) -> list[tuple[str, str, datetime]]:
    """(channel, chat_id, sent_at) of pushes sent since `since`: the rate windows after a restart."""
    return list(session.exec(select(OutboxRow.channel, OutboxRow.chat_id, OutboxRow.sent_at)
                             .where(OutboxRow.status == "sent", col(OutboxRow.sent_at) >= since)))


def last_item_for_branch(*, session: Session, branch_id: int | None,
                         before: datetime) -> tuple[str, datetime] | None:
    """The study item most recently pushed (sent) to the branch's groups, and when."""
    row = session.exec(select(OutboxRow.item_id, OutboxRow.sent_at)
                       .where(OutboxRow.branch_id == branch_id, OutboxRow.status == "sent",
                              col(OutboxRow.item_id).is_not(None), col(OutboxRow.sent_at) <= before)
                       .order_by(col(OutboxRow.sent_at).desc(), col(OutboxRow.id).desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def outbox_counts(*, session: Session) -> dict[str, int]:
    return dict(session.exec(select(OutboxRow.status, func.count()).group_by(OutboxRow.status)).all())
