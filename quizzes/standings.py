"""The 全委竞赛's shared standings: branches ranked by average points per member of the branch.

Every member of the branch counts, answering or not (a silent member counts 0), so a branch cannot win by
fielding its three best; participation is those who answered over the branch's members. Pure."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BranchResult", "BranchStanding", "rank_branches"]


@dataclass(frozen=True)
class BranchResult:
    branch: str
    members: int  # the branch's members (the roster's, or those known to the bot where there is no roster)
    points: int  # the contest points of its members who took part
    took_part: int


@dataclass(frozen=True)
class BranchStanding:
    rank: int
    branch: str
    average: float  # points per member
    took_part: int
    members: int

    @property
    def participation(self) -> float:
        return self.took_part / self.members if self.members else 0.0


def rank_branches(results: list[BranchResult]) -> list[BranchStanding]:
    """Best average first; equal averages share a rank (1, 1, 3), then by participation and name."""
    rows = []
    for result in results:
        members = max(result.members, result.took_part, 1)  # a roster smaller than the turnout is out of date
        rows.append((round(result.points / members, 1), result.took_part, members, result.branch))
    rows.sort(key=lambda r: (-r[0], -r[1] / r[2], r[3]))
    table: list[BranchStanding] = []
    for position, (average, took_part, members, branch) in enumerate(rows, start=1):
        rank = table[-1].rank if table and table[-1].average == average else position
        table.append(BranchStanding(rank, branch, average, took_part, members))
    return table
