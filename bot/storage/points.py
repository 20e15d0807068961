"""The points ledger (党建积分), its running totals, and the record of handled messages.

These sit on the hot path of every answer, so they are single Core statements.
`INSERT … ON CONFLICT` is written the same way on SQLite (3.24+) and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, bindparam, text
from sqlmodel import Session

from bot.storage.fast import DriverStatement
from scheduler.periods import period_keys

__all__ = ["award_points", "award_many", "claim_message"]

_LEDGER = text("INSERT INTO points_ledger (member_id, amount, reason, source, created_at) "
               "VALUES (:member, :amount, :reason, :source, :at) ON CONFLICT (reason, source) DO NOTHING").bindparams(
    bindparam("at", type_=DateTime))
_LEDGER_STRICT = text("INSERT INTO points_ledger (member_id, amount, reason, source, created_at) "
                      "VALUES (:member, :amount, :reason, :source, :at)").bindparams(bindparam("at", type_=DateTime))
_EXISTING = text("SELECT source FROM points_ledger WHERE reason = :reason AND source IN :sources").bindparams(
    bindparam("sources", expanding=True))
_TOTALS = text("INSERT INTO points_total (member_id, period_key, points) VALUES "
               + ", ".join(f"(:member, :k{i}, :amount)" for i in range(5))
               + " ON CONFLICT (member_id, period_key) DO UPDATE SET points = points_total.points + excluded.points")
_CLAIM = DriverStatement("INSERT INTO processed_message (channel, message_id, received_at) "
                         "VALUES (:channel, :id, :at) ON CONFLICT (channel, message_id) DO NOTHING")


def award_points(*, session: Session, member_id: int, amount: int, reason: str, source: str,
                 now: datetime) -> bool:
    """Append to the ledger and bump the period totals, in the caller's transaction.
    False (and nothing changed) when (reason, source) was already awarded."""
    conn = session.connection()
    inserted = conn.execute(_LEDGER, {"member": member_id, "amount": amount, "reason": reason,
                                      "source": source, "at": now}).rowcount
    if inserted != 1:
        return False
    keys = period_keys(now.date())
    conn.execute(_TOTALS, {"member": member_id, "amount": amount, **{f"k{i}": k for i, k in enumerate(keys)}})
    return True


def award_many(*, session: Session, awards: list[tuple[int, int, str]], reason: str, now: datetime) -> None:
    """Award (member_id, amount, source) rows in a few batched statements: a contest question
    closing awards everyone who answered it at once. Sources already in the ledger are skipped;
    a concurrent duplicate fails the plain INSERT, so the caller's transaction rolls back whole."""
    wanted = {source: (member, amount) for member, amount, source in awards if amount}
    if not wanted:
        return
    conn = session.connection()
    sources = list(wanted)
    for start in range(0, len(sources), 500):
        chunk = sources[start:start + 500]
        for (source,) in conn.execute(_EXISTING, {"reason": reason, "sources": chunk}):
            wanted.pop(source, None)
    if not wanted:
        return
    conn.execute(_LEDGER_STRICT, [{"member": m, "amount": a, "reason": reason, "source": s, "at": now}
                                  for s, (m, a) in wanted.items()])
    keys = {f"k{i}": k for i, k in enumerate(period_keys(now.date()))}
    conn.execute(_TOTALS, [{"member": m, "amount": a, **keys} for m, a in wanted.values()])


def claim_message(*, session: Session, channel: str, message_id: str, now: datetime) -> bool:
    """Record a platform message id; False if it was seen before (a platform retry)."""
    return _CLAIM.execute(session.connection(), {"channel": channel, "id": message_id, "at": now}) == 1
