"""排行 on the dashboard: the member ranking of bot/storage/ranking.py with the viewer's scope, a name search and
paging in the query. Ranks are competition ranks (1, 1, 3) over the members in scope, before the search narrows
them, so a name found keeps its place; over everyone they are `studybot rank`'s.

Nobody is ranked in Python one by one: how many members in scope hold each points value (one pass over the totals
index, ix_points_total_rank: period key, points, member id) gives every rank — a member's is 1 + how many hold more
— and the total; the page itself is read with LIMIT/OFFSET (or, for a search, the members whose name matches)."""

from __future__ import annotations

from itertools import accumulate

from sqlalchemy import text
from sqlmodel import Session

from bot.storage.ranking import MemberRank
from bot.storage.scope import Scope

__all__ = ["ranked_members", "like_pattern", "rank_of_points"]


def like_pattern(search: str) -> str:
    """A LIKE pattern finding `search` anywhere, its own % and _ taken literally."""
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# everyone: the totals index alone (a total's member exists: the foreign key); else the members in scope first
_HOLDERS_ALL = "SELECT points, COUNT(*) FROM points_total WHERE period_key = :key AND points > 0 GROUP BY points"
_HOLDERS_SCOPED = """
SELECT t.points, COUNT(*) FROM member m JOIN points_total t ON t.member_id = m.id AND t.period_key = :key
WHERE t.points > 0 AND {condition} GROUP BY t.points"""
# one page's ids: the ids first (index only), the names of those rows only (not of every row the OFFSET skips)
_PAGE_ALL = """
SELECT member_id, points FROM points_total WHERE period_key = :key AND points > 0
ORDER BY points DESC, member_id{page}"""
_PAGE_SCOPED = """
SELECT t.member_id, t.points FROM member m JOIN points_total t ON t.member_id = m.id AND t.period_key = :key
WHERE t.points > 0 AND {condition} ORDER BY t.points DESC, t.member_id{page}"""
# a search: the names matching (the name index), then their totals by primary key
_FOUND = """
SELECT t.member_id, t.points FROM points_total t
WHERE t.period_key = :key AND t.points > 0
  AND t.member_id IN (SELECT m.id FROM member m WHERE m.name LIKE :pattern ESCAPE '\\' AND {condition})
ORDER BY t.points DESC, t.member_id"""
# an export (every row): one query with the names, as `studybot rank` reads them
_WHOLE = """
SELECT t.member_id, m.name, COALESCE(b.name, ''), t.points
FROM points_total t JOIN member m ON m.id = t.member_id LEFT JOIN branch b ON b.id = m.branch_id
WHERE t.period_key = :key AND t.points > 0 AND {condition}{found}
ORDER BY t.points DESC, t.member_id"""
_NAMES = """
SELECT m.id, m.name, COALESCE(b.name, '') FROM member m LEFT JOIN branch b ON b.id = m.branch_id
WHERE m.id IN ({ids})"""


def rank_of_points(holders: dict[int, int]) -> dict[int, int]:
    """points -> competition rank, from how many hold each points value: 1 + how many hold more."""
    values = sorted(holders, reverse=True)
    ahead = accumulate((holders[v] for v in values), initial=0)
    return {value: before + 1 for value, before in zip(values, ahead)}


def ranked_members(session: Session, *, period_key: str, scope: Scope, search: str = "", offset: int = 0,
                   limit: int | None = 20) -> tuple[list[MemberRank], int]:
    """One page of the members in `scope` with points in the period, and how many there are in all (after the
    search), in the order of `studybot rank` (points, then member id)."""
    condition, params = scope.member_filter()
    values: dict[str, object] = {"key": period_key, **params}
    holders_sql = _HOLDERS_ALL if scope.everything else _HOLDERS_SCOPED.format(condition=condition)
    holders = {int(p): int(n) for p, n in session.execute(text(holders_sql), values)}
    ranks = rank_of_points(holders)
    if limit is None:
        found = " AND m.name LIKE :pattern ESCAPE '\\'" if search else ""
        whole = session.execute(text(_WHOLE.format(condition=condition, found=found)),
                                {**values, "pattern": like_pattern(search)}).all()[offset:]
        return [MemberRank(_rank(ranks, holders, int(p)), int(i), name, branch, int(p))
                for i, name, branch, p in whole], len(whole) + offset
    page = f" LIMIT {int(limit)} OFFSET {int(offset)}"
    if search:
        found = session.execute(text(_FOUND.format(condition=condition)),
                                {**values, "pattern": like_pattern(search)}).all()
        total = len(found)
        rows = found[offset:offset + limit]
    else:
        total = sum(holders.values())
        chosen = _PAGE_ALL.format(page=page) if scope.everything else _PAGE_SCOPED.format(condition=condition,
                                                                                        page=page)
        rows = session.execute(text(chosen), values).all()
    names = _names(session, [int(r[0]) for r in rows])
    return [MemberRank(_rank(ranks, holders, int(p)), int(i), *names.get(int(i), ("", "")), int(p))
            for i, p in rows], total


def _rank(ranks: dict[int, int], holders: dict[int, int], points: int) -> int:
    """The rank of `points`; for a total changed between two reads (PostgreSQL's READ COMMITTED), counted again."""
    return ranks.get(points) or 1 + sum(n for value, n in holders.items() if value > points)


def _names(session: Session, ids: list[int]) -> dict[int, tuple[str, str]]:
    """member id -> (name, branch name), a thousand ids a query (an export reads every member)."""
    named: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), 1000):
        chunk = {f"i{n}": i for n, i in enumerate(ids[start:start + 1000])}
        query = _NAMES.format(ids=", ".join(":" + k for k in chunk))
        named.update({int(i): (name, branch) for i, name, branch in session.execute(text(query), chunk)})
    return named
