"""Rankings over the period totals: members by points, branches by average points per member."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session

__all__ = ["MemberRank", "BranchRank", "member_ranking", "member_ranking_all", "member_position", "branch_ranking"]


@dataclass(frozen=True)
class MemberRank:
    rank: int
    member_id: int
    name: str
    branch: str
    points: int


@dataclass(frozen=True)
class BranchRank:
    rank: int
    branch_id: int
    name: str
    members: int
    participants: int
    total_points: int

    @property
    def average_points(self) -> float:
        return self.total_points / self.members if self.members else 0.0

    @property
    def participation_rate(self) -> float:
        return self.participants / self.members if self.members else 0.0


_TOP = text("""
SELECT t.member_id, m.name, COALESCE(b.name, ''), t.points
FROM points_total t JOIN member m ON m.id = t.member_id LEFT JOIN branch b ON b.id = m.branch_id
WHERE t.period_key = :key AND t.points > 0
ORDER BY t.points DESC, t.member_id
LIMIT :limit""")
_ALL = text("""
SELECT t.member_id, m.name, COALESCE(b.name, ''), t.points
FROM points_total t JOIN member m ON m.id = t.member_id LEFT JOIN branch b ON b.id = m.branch_id
WHERE t.period_key = :key AND t.points > 0
ORDER BY t.points DESC, t.member_id""")
_MINE = text("""
SELECT m.name, COALESCE(b.name, ''), COALESCE(t.points, 0)
FROM member m LEFT JOIN branch b ON b.id = m.branch_id
LEFT JOIN points_total t ON t.member_id = m.id AND t.period_key = :key
WHERE m.id = :member""")
_AHEAD = text("SELECT COUNT(*) FROM points_total WHERE period_key = :key AND points > :points")
# a branch's members (the member table's branch index alone), and its members' totals for the key: the totals'
# branch index alone (ix_points_total_branch: key, branch, points), in branch order, no member looked up
_STAFF = """
SELECT b.id, b.name, COUNT(*) FROM branch b JOIN member m ON m.branch_id = b.id
{where}GROUP BY b.id, b.name"""
_SCORED = """
SELECT t.branch_id, COUNT(*), SUM(t.points) FROM points_total t
WHERE t.period_key = :key AND t.points > 0 AND t.branch_id IS NOT NULL {where}GROUP BY t.branch_id"""


def _shared_ranks(values: list[float]) -> list[int]:
    """Competition ranking: equal values share a rank, the next rank skips (1, 1, 3)."""
    ranks: list[int] = []
    for position, value in enumerate(values, start=1):
        ranks.append(ranks[-1] if ranks and values[position - 2] == value else position)
    return ranks


def member_ranking(*, session: Session, period_key: str, limit: int = 50) -> list[MemberRank]:
    rows = session.execute(_TOP, {"key": period_key, "limit": limit}).all()
    ranks = _shared_ranks([row[3] for row in rows])
    return [MemberRank(rank, *row) for rank, row in zip(ranks, rows)]


def member_ranking_all(*, session: Session, period_key: str) -> list[MemberRank]:
    """Everyone with points in the period, for exports (no limit)."""
    rows = session.execute(_ALL, {"key": period_key}).all()
    ranks = _shared_ranks([row[3] for row in rows])
    return [MemberRank(rank, *row) for rank, row in zip(ranks, rows)]


def member_position(*, session: Session, period_key: str, member_id: int) -> MemberRank | None:
    """The member's own rank among everyone with points (None for an unknown member)."""
    row = session.execute(_MINE, {"key": period_key, "member": member_id}).first()
    if row is None:
        return None
    name, branch, points = row
    ahead = session.execute(_AHEAD, {"key": period_key, "points": points}).scalar_one()
    return MemberRank(ahead + 1, member_id, name, branch, points)


def branch_ranking(*, session: Session, period_key: str, branch_ids: Collection[int] | None = None) -> list[BranchRank]:
    """Every branch with members, or only `branch_ids` (the dashboard's scope, as a WHERE condition)."""
    names = {f"b{i}": b for i, b in enumerate(sorted(branch_ids or ()))}
    listed = ", ".join(":" + n for n in names) or "NULL"
    staff = session.execute(text(_STAFF.format(where="" if branch_ids is None else f"WHERE b.id IN ({listed})\n")),
                            names).all()
    scored = {int(b): (int(n), int(p)) for b, n, p in session.execute(text(_SCORED.format(
        where="" if branch_ids is None else f"AND t.branch_id IN ({listed})\n")), {"key": period_key, **names})}
    branches = [BranchRank(0, int(b), name, int(members), *scored.get(int(b), (0, 0))) for b, name, members in staff]
    branches.sort(key=lambda b: (-b.average_points, -b.total_points, b.name))
    ranks = _shared_ranks([round(b.average_points, 6) for b in branches])
    return [BranchRank(rank, b.branch_id, b.name, b.members, b.participants, b.total_points)
            for rank, b in zip(ranks, branches)]
