"""The points ledger (党建积分) and its running totals.

These sit on the hot path of every answer, so they go straight to the driver (bot/storage/fast.py).
`INSERT … ON CONFLICT` is written the same way on SQLite (3.24+) and PostgreSQL."""

from __future__ import annotations

import functools
from datetime import datetime

from sqlmodel import Session, col, or_, select

from bot.storage.fast import DriverStatement
from bot.storage.models import PointsEntry
from scheduler.periods import period_keys

__all__ = ["award_points", "award_many", "points_held", "reverse_points"]

_LEDGER_SQL = ("INSERT INTO points_ledger (member_id, amount, reason, source, created_at) "
               "VALUES (:member, :amount, :reason, :source, :at)")
_LEDGER = DriverStatement(_LEDGER_SQL + " ON CONFLICT (reason, source) DO NOTHING")
_LEDGER_STRICT = DriverStatement(_LEDGER_SQL)
_TOTALS = DriverStatement("INSERT INTO points_total (member_id, period_key, points) VALUES "
               + ", ".join(f"(:member, :k{i}, :amount)" for i in range(5))
               + " ON CONFLICT (member_id, period_key) DO UPDATE SET points = points_total.points + excluded.points")


def award_points(*, session: Session, member_id: int, amount: int, reason: str, source: str,
                 now: datetime) -> bool:
    """Append to the ledger and bump the period totals, in the caller's transaction.
    False (and nothing changed) when (reason, source) was already awarded."""
    conn = session.connection()
    inserted = _LEDGER.execute(conn, {"member": member_id, "amount": amount, "reason": reason, "source": source,
                                      "at": now})
    if inserted != 1:
        return False
    keys = period_keys(now.date())
    _TOTALS.execute(conn, {"member": member_id, "amount": amount, **{f"k{i}": k for i, k in enumerate(keys)}})
    return True


def points_held(*, session: Session, reason: str, source: str) -> tuple[int, int]:
    """What the ledger holds for (reason, source) and its follow-ups (sources `source:…`, such as a reversal):
    (the net amount, how many entries)."""
    rows = _follow_ups(session, reason, source)
    return sum(row.amount for row in rows), len(rows)


def reverse_points(*, session: Session, member_id: int, reason: str, source: str, undo_source: str) -> int:
    """Take back what the ledger holds for (reason, source) and its follow-ups: one negative entry under
    `undo_source` (unique, `source:…`), dated as the latest entry that gave points, so the periods that counted
    them (本月, 本季度 …) lose them again. The points taken back; 0 (nothing written) when none are held."""
    rows = _follow_ups(session, reason, source)
    net = sum(row.amount for row in rows)
    if net <= 0:
        return 0
    given = max((row for row in rows if row.amount > 0), key=lambda row: (row.created_at, row.id or 0))
    award_points(session=session, member_id=member_id, amount=-net, reason=reason, source=undo_source,
                 now=given.created_at)
    return net


def _follow_ups(session: Session, reason: str, source: str) -> list[PointsEntry]:
    return list(session.exec(select(PointsEntry).where(
        PointsEntry.reason == reason,
        or_(PointsEntry.source == source, col(PointsEntry.source).startswith(f"{source}:", autoescape=True)))))


def award_many(*, session: Session, awards: list[tuple[int, int, str]], reason: str, now: datetime,
               new: bool = False) -> None:
    """Award (member_id, amount, source) rows in a few batched statements: a contest question
    closing awards everyone who answered it at once. Sources already in the ledger are skipped;
    one inserted concurrently by another instance fails the plain INSERT, so the caller's
    transaction rolls back whole rather than counting anything twice. `new`: the caller knows none
    was awarded before (a contest question closes once, with its progress), so the look-up is skipped."""
    conn = session.connection()
    awards = [a for a in awards if a[1]]
    for start in range(0, 0 if new else len(awards), _CHUNK):
        chunk = [source for _, _, source in awards[start:start + _CHUNK]]
        done = {row[0] for row in _awarded(len(chunk)).rows(conn, {"reason": reason, **{
            f"s{i}": source for i, source in enumerate(chunk)}})}
        if done:
            awards = [a for a in awards if a[2] not in done]
    if not awards:
        return
    _LEDGER_STRICT.execute(conn, [{"member": m, "amount": a, "reason": reason, "source": s, "at": now}
                                  for m, a, s in awards])
    keys = {f"k{i}": k for i, k in enumerate(period_keys(now.date()))}
    _TOTALS.execute(conn, [{"member": m, "amount": a, **keys} for m, a, _ in awards])


_CHUNK = 500


@functools.lru_cache(maxsize=64)
def _awarded(size: int) -> DriverStatement:
    """SELECT the sources among `size` candidates that are already in the ledger."""
    marks = ", ".join(f":s{i}" for i in range(size))
    return DriverStatement(f"SELECT source FROM points_ledger WHERE reason = :reason AND source IN ({marks})")

