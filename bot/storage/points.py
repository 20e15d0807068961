"""The points ledger (党建积分) and its running totals, with each category's daily and monthly caps.

These sit on the hot path of every contest question, so they go straight to the driver (bot/storage/fast.py).
`INSERT … ON CONFLICT` is written the same way on SQLite (3.24+) and PostgreSQL. The ledger is append-only:
a cap that holds points back writes the entry with what counted (0 when nothing did) and what was held back."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy.engine import Connection
from sqlmodel import Session, col, or_, select

from bot.storage.branch_columns import MEMBER_BRANCH
from bot.storage.fast import DriverStatement
from bot.storage.models import PointsEntry
from scheduler.periods import period_keys
from scheduler.points import (
    REASON_CATEGORIES,
    Cap,
    Category,
    category_keys,
    day_key,
    month_key,
    room_left,
    withheld_keys,
)

__all__ = ["Award", "award_points", "award_many", "points_held", "reverse_points"]

_LEDGER_SQL = ("INSERT INTO points_ledger (member_id, amount, reason, source, created_at, category, withheld, note) "
               "VALUES (:member, :amount, :reason, :source, :at, :category, :withheld, :note)")
_LEDGER = DriverStatement(_LEDGER_SQL + " ON CONFLICT (reason, source) DO NOTHING")
_LEDGER_STRICT = DriverStatement(_LEDGER_SQL)
_KEYS = len(period_keys(date(2026, 1, 1))) + len(category_keys(date(2026, 1, 1), Category.QUIZ))
# a new row carries its member's branch (bot/storage/branch_columns.py); an existing one has it already
_TOTALS = DriverStatement("INSERT INTO points_total (member_id, period_key, points, branch_id) VALUES "
                          + ", ".join(f"(:member, :k{i}, :amount, {MEMBER_BRANCH})" for i in range(_KEYS))
                          + " ON CONFLICT (member_id, period_key) DO UPDATE SET points = points_total.points"
                          " + excluded.points")
_HELD_BACK = DriverStatement("INSERT INTO points_total (member_id, period_key, points, branch_id) VALUES "
                             f"(:member, :key, :amount, {MEMBER_BRANCH}) ON CONFLICT (member_id, period_key) "
                             "DO UPDATE SET points = points_total.points + excluded.points")

Reached = Literal["daily", "monthly"]


@dataclass(frozen=True)
class Award:
    """What one award did: `stored` False when (reason, source) was in the ledger already (nothing changed)."""
    stored: bool
    paid: int = 0
    withheld: int = 0
    reached: Reached | None = None  # the first points a cap held back (today, or this month): tell the member

    def __bool__(self) -> bool:
        return self.stored


def award_points(*, session: Session, member_id: int, amount: int, reason: str, source: str, now: datetime,
                 category: Category | None = None, cap: Cap | None = None, note: str = "") -> Award:
    """Append to the ledger and bump the totals, in the caller's transaction; `cap` holds back what is over the
    category's caps (the entry records both). Nothing changes when (reason, source) was already awarded."""
    category = category or REASON_CATEGORIES[reason]
    conn = session.connection()
    held = _held(conn, [member_id], now.date(), category).get(member_id, _Held()) if _limits(cap) else _Held()
    paid, withheld, binding, reached = _capped(amount, cap, held)
    inserted = _LEDGER.execute(conn, {"member": member_id, "amount": paid, "reason": reason, "source": source,
                                      "at": now, "category": category.value, "withheld": withheld, "note": note})
    if inserted != 1:
        return Award(False)
    _count(conn, [(member_id, paid, withheld, binding)], now.date(), category)
    return Award(True, paid, withheld, reached)


def award_many(*, session: Session, awards: list[tuple[int, int, str]], reason: str, now: datetime,
               new: bool = False, category: Category | None = None, cap: Cap | None = None,
               note: str = "") -> dict[int, Reached]:
    """Award (member_id, amount, source) rows in a few batched statements: a contest question closing awards
    everyone who answered it at once. Sources already in the ledger are skipped; one inserted concurrently by
    another instance fails the plain INSERT, so the caller's transaction rolls back whole rather than counting
    anything twice. `new`: the caller knows none was awarded before (a contest question closes once, with its
    progress), so the look-up is skipped. Returns the members a cap first held back now, and which cap."""
    category = category or REASON_CATEGORIES[reason]
    conn = session.connection()
    awards = [a for a in awards if a[1]]
    for start in range(0, 0 if new else len(awards), _CHUNK):
        chunk = [source for _, _, source in awards[start:start + _CHUNK]]
        done = {row[0] for row in _awarded(len(chunk)).rows(conn, {"reason": reason, **{
            f"s{i}": source for i, source in enumerate(chunk)}})}
        if done:
            awards = [a for a in awards if a[2] not in done]
    if not awards:
        return {}
    held = _held(conn, [m for m, _, _ in awards], now.date(), category) if _limits(cap) else {}
    rows: list[dict[str, object]] = []
    counts: list[tuple[int, int, int, Reached | None]] = []
    reached: dict[int, Reached] = {}
    for member, amount, source in awards:
        paid, withheld, binding, first = _capped(amount, cap, held.get(member, _Held()))
        rows.append({"member": member, "amount": paid, "reason": reason, "source": source, "at": now,
                     "category": category.value, "withheld": withheld, "note": note})
        counts.append((member, paid, withheld, binding))
        if first:
            reached[member] = first
    _LEDGER_STRICT.execute(conn, rows)
    _count(conn, counts, now.date(), category)
    return reached


def points_held(*, session: Session, reason: str, source: str) -> tuple[int, int]:
    """What the ledger holds for (reason, source) and its follow-ups (sources `source:…`, such as a reversal):
    (the net amount, how many entries)."""
    rows = _follow_ups(session, reason, source)
    return sum(row.amount for row in rows), len(rows)


def reverse_points(*, session: Session, member_id: int, reason: str, source: str, undo_source: str,
                   note: str = "") -> int:
    """Take back what the ledger holds for (reason, source) and its follow-ups: one negative entry under
    `undo_source` (unique, `source:…`), dated as the latest entry that gave points, so the periods that counted
    them (本月, 本季度 …) lose them again. The points taken back; 0 (nothing written) when none are held."""
    rows = _follow_ups(session, reason, source)
    net = sum(row.amount for row in rows)
    if net <= 0:
        return 0
    given = max((row for row in rows if row.amount > 0), key=lambda row: (row.created_at, row.id or 0))
    category = Category(given.category) if given.category else None
    award_points(session=session, member_id=member_id, amount=-net, reason=reason, source=undo_source,
                 now=given.created_at, category=category, note=note)
    return net


def _follow_ups(session: Session, reason: str, source: str) -> list[PointsEntry]:
    return list(session.exec(select(PointsEntry).where(
        PointsEntry.reason == reason,
        or_(PointsEntry.source == source, col(PointsEntry.source).startswith(f"{source}:", autoescape=True)))))


@dataclass(frozen=True)
class _Held:
    today: int = 0
    month: int = 0
    withheld_today: int = 0
    withheld_month: int = 0


def _limits(cap: Cap | None) -> bool:
    return cap is not None and (cap.daily is not None or cap.monthly is not None)


def _capped(amount: int, cap: Cap | None, held: _Held) -> tuple[int, int, Reached | None, Reached | None]:
    """Of `amount`: what counts, what a cap holds back, which cap (daily or monthly) and, the first time that cap
    holds anything back (today, this month), that cap again: the member is told then."""
    if amount <= 0 or cap is None:
        return amount, 0, None, None
    room = room_left(cap, today=held.today, this_month=held.month)
    if room is None or room >= amount:
        return amount, 0, None, None
    daily_room = cap.daily - held.today if cap.daily is not None else None
    monthly_room = cap.monthly - held.month if cap.monthly is not None else None
    daily = daily_room is not None and (monthly_room is None or daily_room <= monthly_room)
    first: Reached | None = ("daily" if not held.withheld_today else None) if daily else (
        "monthly" if not held.withheld_month else None)
    return room, amount - room, "daily" if daily else "monthly", first


def _held(conn: Connection, members: list[int], day: date, category: Category) -> dict[int, _Held]:
    """Each member's totals so far in `category`: today, this month, and what caps held back of each."""
    keys = [day_key(day, category), month_key(day, category), *withheld_keys(day, category)]
    found: dict[int, dict[str, int]] = {}
    for start in range(0, len(members), _CHUNK):
        chunk = members[start:start + _CHUNK]
        rows = _totals_of(len(chunk)).rows(conn, {
            **{f"k{i}": key for i, key in enumerate(keys)}, **{f"m{i}": m for i, m in enumerate(chunk)}})
        for member, key, points in rows:
            found.setdefault(member, {})[key] = points
    return {m: _Held(*(values.get(key, 0) for key in keys)) for m, values in found.items()}


def _count(conn: Connection, counts: list[tuple[int, int, int, Reached | None]], day: date,
           category: Category) -> None:
    """Bump the totals by what counted; and by what a cap held back, under that cap's own key (a month's key counts
    only what the monthly cap held back, so reaching it later in the month is told too)."""
    keys = {f"k{i}": k for i, k in enumerate([*period_keys(day), *category_keys(day, category)])}
    paid = [{"member": m, "amount": a, **keys} for m, a, _, _ in counts if a]
    if paid:
        _TOTALS.execute(conn, paid)
    day_held, month_held = withheld_keys(day, category)
    withheld = [{"member": m, "amount": w, "key": day_held if binding == "daily" else month_held}
                for m, _, w, binding in counts if w]
    if withheld:
        _HELD_BACK.execute(conn, withheld)


_CHUNK = 500


@functools.lru_cache(maxsize=64)
def _awarded(size: int) -> DriverStatement:
    """SELECT the sources among `size` candidates that are already in the ledger."""
    marks = ", ".join(f":s{i}" for i in range(size))
    return DriverStatement(f"SELECT source FROM points_ledger WHERE reason = :reason AND source IN ({marks})")


@functools.lru_cache(maxsize=64)
def _totals_of(size: int) -> DriverStatement:
    """SELECT (member, key, points) of `size` members and the four cap keys."""
    marks = ", ".join(f":m{i}" for i in range(size))
    return DriverStatement("SELECT member_id, period_key, points FROM points_total WHERE period_key IN "
                           f"(:k0, :k1, :k2, :k3) AND member_id IN ({marks})")
