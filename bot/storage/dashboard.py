"""The 总览 figures, read with the viewer's scope as a WHERE condition on the member (bot/web/viewer.py Scope):
who was active, answers and accuracy (contests and 每日一题), study items read (已学), and points by category per
week from the running totals (an index read, not the ledger)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

__all__ = ["Activity", "activity", "totals_by_key", "TotalsCache", "branch_ids_by_name"]

EVERYONE = "1 = 1"  # Scope.member_filter() of a viewer who sees everything


@dataclass(frozen=True)
class Activity:
    active: int  # members who answered or read anything
    answers: int
    correct: int
    reads: int

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answers if self.answers else None


def activity(session: Session, where: tuple[str, dict[str, object]], since: datetime, until: datetime) -> Activity:
    """What members in scope did in [since, until)."""
    condition, params = where
    bounds = {"since": since, "until": until, **params}
    # everyone in scope: no member look-up (joined, SQLite scans all 100,000 members to probe the few reads)
    member = "" if condition == EVERYONE else f"JOIN member m ON m.id = a.member_id WHERE {condition}"
    answers = session.execute(text(f"""
        SELECT COUNT(*), COALESCE(SUM(CASE WHEN a.correct THEN 1 ELSE 0 END), 0) FROM (
            SELECT member_id, correct FROM contest_answer WHERE answered_at >= :since AND answered_at < :until
            UNION ALL
            SELECT member_id, correct FROM daily_answer
            WHERE answered_at >= :since AND answered_at < :until AND correct IS NOT NULL) a
        {member}"""), bounds).one()
    reads = session.execute(text(f"""
        SELECT COUNT(*) FROM (SELECT member_id FROM study_read WHERE read_at >= :since AND read_at < :until) a
        {member}"""), bounds).scalar_one()
    active = session.execute(text(f"""
        SELECT COUNT(DISTINCT a.member_id) FROM (
            SELECT member_id FROM contest_answer WHERE answered_at >= :since AND answered_at < :until
            UNION SELECT member_id FROM daily_answer WHERE answered_at >= :since AND answered_at < :until
            UNION SELECT member_id FROM study_read WHERE read_at >= :since AND read_at < :until) a
        {member}"""), bounds).scalar_one()
    return Activity(active=int(active), answers=int(answers[0]), correct=int(answers[1]), reads=int(reads))


def totals_by_key(session: Session, where: tuple[str, dict[str, object]], keys: Sequence[str]) -> dict[str, int]:
    """Points summed over the members in scope, per totals key (W2026-10/quiz …); 0 for a key nobody has."""
    if not keys:
        return {}
    condition, params = where
    names = {f"k{i}": key for i, key in enumerate(keys)}
    # everyone in scope (a committee): the totals index alone, without a member look-up per row (a tenth of the
    # time over 100,000 members: bench/dashboard.py)
    member = "" if condition == EVERYONE else f"JOIN member m ON m.id = t.member_id AND {condition}"
    rows = session.execute(text(f"""
        SELECT t.period_key, COALESCE(SUM(t.points), 0) FROM points_total t {member}
        WHERE t.period_key IN ({", ".join(":" + n for n in names)})
        GROUP BY t.period_key"""), {**names, **params}).all()
    found = {key: int(points) for key, points in rows}
    return {key: found.get(key, 0) for key in keys}


class TotalsCache:
    """totals_by_key, remembered for a viewer who sees everything until the ledger grows: the totals are only ever
    written with a ledger entry in the same transaction (bot/storage/points.py, reverse_points included), so the
    ledger's highest id (an index read) tells at once whether they changed. Summing 12 weeks x 5 categories over
    100,000 members takes 40-80 ms (bench/dashboard.py); a scoped viewer's sums are small and not kept.
    On SQLite only: PostgreSQL hands out ids before commit, so a transaction holding a lower id may commit after a
    higher one was seen, and the highest id would not tell that the totals changed."""

    def __init__(self) -> None:
        self._last: tuple[tuple, dict[str, int]] | None = None
        self._lock = threading.Lock()

    def __call__(self, session: Session, where: tuple[str, dict[str, object]], keys: Sequence[str]
                 ) -> dict[str, int]:
        if where[0] != EVERYONE or session.get_bind().dialect.name != "sqlite":
            return totals_by_key(session, where, keys)
        mark = (session.execute(text("SELECT MAX(id) FROM points_ledger")).scalar_one(), tuple(keys))
        with self._lock:
            if self._last is not None and self._last[0] == mark:
                return dict(self._last[1])
        found = totals_by_key(session, where, keys)
        with self._lock:
            self._last = (mark, found)
        return dict(found)


def branch_ids_by_name(session: Session) -> dict[str, int]:
    """Branch name -> id, as plain rows (总览 links up to 1,000 flagged branches; no ORM objects for them)."""
    return {name: int(bid) for bid, name in session.execute(text("SELECT id, name FROM branch ORDER BY id"))}
