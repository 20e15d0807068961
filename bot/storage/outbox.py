"""The outbox: pushes are written here first, in the transaction of whatever decided to push, and
sent later by the outbox worker (bot/jobs/outbox_worker.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from bot.storage.fast import DriverStatement
from bot.storage.models import OutboxRow

__all__ = ["Push", "enqueue", "pending_due", "next_pending", "claim", "mark_handed", "mark_sent", "mark_attempt",
           "settle_interrupted", "recent_sends", "last_item_for_branch", "outbox_counts", "INTERRUPTED"]

_INSERT = DriverStatement(
    "INSERT INTO outbox (key, kind, channel, chat_id, chat_name, is_group, text, markdown, item_id, branch_id, "
    "link, due_at, created_at, status, attempts, unconfirmed, last_error) VALUES (:key, :kind, :channel, :chat_id, "
    ":chat_name, :is_group, :text, :markdown, :item_id, :branch_id, :link, :due_at, :created_at, 'pending', 0, 0, "
    "'') "
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
    link: str | None = None  # the page it is about (Outgoing.link)


def enqueue(*, session: Session, pushes: list[Push], now: datetime) -> int:
    """Write the pushes not written before (by key); how many were new. In the caller's transaction."""
    if not pushes:
        return 0
    rows = [{"key": p.key[:400], "kind": p.kind, "channel": p.channel, "chat_id": p.chat_id,
             "chat_name": p.chat_name, "is_group": p.is_group, "text": p.text, "markdown": p.markdown,
             "item_id": p.item_id, "branch_id": p.branch_id, "link": p.link, "due_at": p.due_at, "created_at": now}
            for p in pushes]
    return _INSERT.execute(session.connection(), rows)


def pending_due(*, session: Session, now: datetime, limit: int = 500, after: tuple[datetime, int] | None = None,
                channels: list[str] | None = None, unclaimed: bool = False) -> list[OutboxRow]:
    """Pending rows due by `now` (for `channels` only, when given), oldest first; `after` (due_at, id)
    continues from a previous page. `unclaimed` (several instances): not the rows another sender holds."""
    query = select(OutboxRow).where(OutboxRow.status == "pending", OutboxRow.due_at <= now,
                                    col(OutboxRow.handed_at).is_(None))
    if unclaimed:
        query = query.where(or_(col(OutboxRow.lease_until).is_(None), col(OutboxRow.lease_until) < func.now()))
    if channels is not None:
        query = query.where(col(OutboxRow.channel).in_(channels))
    if after is not None:
        due, row_id = after
        query = query.where((OutboxRow.due_at > due) | ((OutboxRow.due_at == due) & (OutboxRow.id > row_id)))
    return list(session.exec(query.order_by(OutboxRow.due_at, OutboxRow.id).limit(limit)))


def next_pending(*, session: Session, after: datetime | None = None, before: datetime | None = None,
                 channels: list[str] | None = None) -> datetime | None:
    """The earliest due time of a pending row (strictly after `after`, or at or before `before`)."""
    query = select(func.min(OutboxRow.due_at)).where(OutboxRow.status == "pending", col(OutboxRow.handed_at).is_(None))
    if channels is not None:
        query = query.where(col(OutboxRow.channel).in_(channels))
    if after is not None:
        query = query.where(OutboxRow.due_at > after)
    if before is not None:
        query = query.where(OutboxRow.due_at <= before)
    return session.exec(query).one()


# Several instances: the leader takes the rows it is about to send, if no one holds them and its lease still holds
# (a stale leader takes nothing); a row whose sender died is free again once its lease_until has passed.
_CLAIM = DriverStatement(
    "UPDATE outbox SET claimed_by = :holder, lease_until = now() + make_interval(secs => :seconds) "
    "WHERE id IN (SELECT id FROM outbox WHERE id = ANY(:ids) AND status = 'pending' AND handed_at IS NULL "
    "AND (lease_until IS NULL OR lease_until < now()) FOR UPDATE SKIP LOCKED) "
    "AND EXISTS (SELECT 1 FROM leader_lease WHERE name = :lease AND holder = :holder AND epoch = :epoch "
    "AND expires_at > now()) RETURNING id")


def claim(*, session: Session, ids: list[int], holder: str, epoch: int, lease: str, seconds: float) -> set[int]:
    """Of `ids`, the rows now claimed by `holder` for `seconds` (PostgreSQL only). In the caller's transaction."""
    if not ids:
        return set()
    params = {"ids": ids, "holder": holder, "epoch": epoch, "lease": lease, "seconds": seconds}
    return {row[0] for row in _CLAIM.rows(session.connection(), params)}


_HANDED = DriverStatement("UPDATE outbox SET handed_at = :now WHERE id = :id AND status = 'pending'")
_HANDED_HELD = DriverStatement("UPDATE outbox SET handed_at = :now WHERE id = :id AND status = 'pending' "
                               "AND claimed_by = :holder AND lease_until > now()")
# what an interrupted push's row says (the dashboard and `studybot push status` show it)
INTERRUPTED = "发送途中程序中断，可能已送达，未再重发"
_SETTLE = ("UPDATE outbox SET status = 'unsure', attempts = attempts + 1, unconfirmed = unconfirmed + 1, "
           "last_error = :error, handed_at = NULL, claimed_by = NULL, lease_until = NULL "
           "WHERE status = 'pending' AND handed_at IS NOT NULL AND channel IN ({channels})")
# several instances: only the rows whose sender's claim lapsed (it died or was cut off), and only by the leader
_LAPSED = (" AND lease_until < now() AND EXISTS (SELECT 1 FROM leader_lease WHERE name = :lease AND holder = :holder "
           "AND epoch = :epoch AND expires_at > now())")


def mark_handed(*, session: Session, row_id: int, now: datetime, holder: str | None = None) -> bool:
    """Before an attempt may leave: the row notes it (commit before handing it over). False when the row is no
    longer pending, or (`holder`) no longer held by that sender: then it must not be sent.

    On PostgreSQL the note's commit does not wait for the WAL's flush to disk (synchronous_commit off, for this
    transaction alone): a sender killed after the server took the commit and before its request left leaves a push
    that ends unsure though it never left, so the shorter that commit, the fewer such pushes (bench/failover.py: the
    flush was most of it). What it risks is the note of a push whose request left being lost with the database
    server itself, within a fraction of a second: that push would be sent once more."""
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")
    if holder is None:
        return _HANDED.execute(conn, {"now": now, "id": row_id}) == 1
    return _HANDED_HELD.execute(conn, {"now": now, "id": row_id, "holder": holder}) == 1


def settle_interrupted(*, session: Session, channels: list[str], holder: str | None = None, epoch: int | None = None,
                       lease: str = "") -> list[str]:
    """Pending rows of `channels` handed over by a sender that is gone (a process killed mid-send): their request
    may have reached the chat, and the platforms take no idempotency key, so they end `unsure`, not sent again.
    One process (SQLite, the caller's own attempts all recorded): every such row of the channels it runs (a
    `studybot chat` beside the service runs none of the service's). Several instances (`holder`): the rows whose
    claim lapsed, by the leader only. The keys settled. In the caller's transaction."""
    if not channels:
        return []
    names = {f"c{i}": name for i, name in enumerate(channels)}
    sql = _SETTLE.format(channels=", ".join(f":{n}" for n in names))
    params: dict[str, object] = {"error": INTERRUPTED, **names}
    if holder is not None:
        sql += _LAPSED
        params.update(lease=lease, holder=holder, epoch=epoch)
    return [row[0] for row in DriverStatement(sql + " RETURNING key").rows(session.connection(), params)]


def _held(session: Session, row_id: int, holder: str | None) -> OutboxRow | None:
    """The row to record an attempt on; with `holder`, only while that sender's claim holds (locked until commit):
    a stale sender whose rows were taken again writes nothing."""
    if holder is None:
        row = session.get(OutboxRow, row_id)
        if row is not None:
            row.handed_at = None
        return row
    row = session.get(OutboxRow, row_id, with_for_update=True, populate_existing=True)
    if row is None or row.claimed_by != holder or row.status != "pending":
        return None
    row.claimed_by, row.lease_until, row.handed_at = None, None, None
    return row


def mark_sent(*, session: Session, row_id: int, now: datetime, holder: str | None = None) -> bool:
    """False when `holder` no longer held the row (it was taken again: the push may go twice)."""
    row = _held(session, row_id, holder)
    if row is not None:
        row.status, row.sent_at, row.attempts = "sent", now, row.attempts + 1
        session.add(row)
    return row is not None


def mark_attempt(*, session: Session, row_id: int, error: str, retry_at: datetime | None,
                 maybe_received: bool = False, holder: str | None = None) -> None:
    """A send without the platform's yes (`maybe_received`: it may have reached the chat all the same):
    retried at `retry_at`, or given up when None (unsure if an attempt may have reached it, else failed)."""
    row = _held(session, row_id, holder)
    if row is not None:
        row.attempts += 1
        row.unconfirmed += maybe_received
        row.last_error = error[:300]
        if retry_at is None:
            row.status = "unsure" if row.unconfirmed else "failed"
        else:
            row.due_at = retry_at
        session.add(row)


def postpone(*, session: Session, row_id: int, error: str, until: datetime, holder: str | None = None) -> None:
    """The platform takes nothing now for a reason someone must fix (a used-up quota, a missing
    permission): the row stays pending until `until`, the wait not counted as an attempt."""
    row = _held(session, row_id, holder)
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
