"""Reading one member's 党建积分: the totals by category (today, this month, any period) and the ledger's entries with
where each came from — a contest's answers as one line, points by hand with who recorded and who agreed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlmodel import Session, col, select

from bot.storage.models import Member, PointsEntry, PointsTotal
from bot.storage.models_points import PointsRequest
from scheduler.points import Category

__all__ = ["LedgerLine", "ledger_lines", "totals_of"]


@dataclass(frozen=True)
class LedgerLine:
    at: datetime
    category: str
    reason: str
    amount: int
    withheld: int
    note: str
    entries: int  # a contest's answers are one line: how many
    recorded_by: str = ""  # points by hand: who recorded the entry
    agreed_by: str = ""  # … and who agreed to it


def totals_of(session: Session, member_id: int, keys: list[str]) -> dict[str, int]:
    """The member's running totals under `keys` (period keys, per category ones too); 0 where there are none."""
    rows = session.exec(select(PointsTotal.period_key, PointsTotal.points).where(
        PointsTotal.member_id == member_id, col(PointsTotal.period_key).in_(keys))).all()
    found = dict(rows)
    return {key: found.get(key, 0) for key in keys}


def ledger_lines(session: Session, member_id: int, since: date | None) -> list[LedgerLine]:
    """The member's entries from `since` (None: all), newest first; a contest's entries folded into one line."""
    query = select(PointsEntry).where(PointsEntry.member_id == member_id)
    if since is not None:
        query = query.where(PointsEntry.created_at >= datetime.combine(since, time()))
    entries = list(session.exec(query.order_by(col(PointsEntry.created_at).desc(), col(PointsEntry.id).desc())))
    requests = _requests(session, [e.source for e in entries if e.reason == "manual"])
    lines: list[LedgerLine] = []
    contests: dict[str, int] = {}  # contest id -> its line's index
    for entry in entries:
        category = entry.category or ""
        if entry.reason == "contest":
            contest = entry.source.split(":")[1] if entry.source.count(":") >= 3 else entry.source
            if contest in contests:
                index = contests[contest]
                line = lines[index]
                lines[index] = LedgerLine(line.at, line.category, line.reason, line.amount + entry.amount,
                                          line.withheld + entry.withheld, line.note, line.entries + 1)
                continue
            contests[contest] = len(lines)
        # who recorded and agreed: on the entry itself, not on its reversal (`request:N:…`), which names its own
        request = entry.source.split(":")[1] if entry.reason == "manual" and entry.source.count(":") == 1 else ""
        recorded_by, agreed_by = requests.get(request, ("", ""))
        lines.append(LedgerLine(entry.created_at, category or Category.QUIZ.value, entry.reason, entry.amount,
                                entry.withheld, entry.note, 1, recorded_by, agreed_by))
    return lines


def _requests(session: Session, sources: list[str]) -> dict[str, tuple[str, str]]:
    """Request id (as text) -> (who recorded it, who agreed) for the `request:N…` sources among `sources`."""
    ids = {int(part) for s in sources if s.startswith("request:") and (part := s.split(":")[1]).isdigit()}
    if not ids:
        return {}
    rows = session.exec(select(PointsRequest).where(col(PointsRequest.id).in_(ids))).all()
    people = {m.id: m.name for m in session.exec(select(Member).where(col(Member.id).in_(
        {r.requested_by for r in rows} | {r.decided_by for r in rows if r.decided_by is not None})))}
    return {str(r.id): (people.get(r.requested_by, ""), people.get(r.decided_by, "") if r.decided_by else "")
            for r in rows}
