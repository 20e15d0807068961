"""What 三会一课 (/meetings) shows: the year, month or quarter, and one branch or all in scope, read from the URL and
checked against the viewer's scope; and the grid arranged for the page (a table per branch: types × periods)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bot.services.meeting_grid import GridCell, GridPeriod
from bot.web.dashboard import Refused
from bot.web.viewer import Viewer

__all__ = ["MeetingsQuery", "BranchGrid", "arrange", "NOT_FOR_MEMBERS", "NOT_YOURS", "GRID_PAGE"]

NOT_FOR_MEMBERS = "三会一课统计仅对书记、委员和党委开放。"
NOT_YOURS = "无权查看该支部的三会一课。"
PERIOD_WORDS = {"month": "按月", "quarter": "按季度"}
# branches per page of the grid: 1,000 branches × 12 months × 7 types made a 14 MB page in 7 s
# (bench/dashboard.py); the exports still hold every branch in scope
GRID_PAGE = 10


@dataclass(frozen=True)
class MeetingsQuery:
    year: int
    period: str  # month | quarter
    branch_id: int | None
    page: int = 1  # of the grid when it shows many branches (GRID_PAGE a page)

    @classmethod
    def read(cls, params: Any, viewer: Viewer, this_year: int) -> MeetingsQuery:
        if not viewer.scope.sees_branches:
            raise Refused(403, NOT_FOR_MEMBERS)
        year_text = str(params.get("year", "")).strip()
        if year_text and not (year_text.isdigit() and 2000 <= int(year_text) <= this_year + 1):
            raise Refused(400, f"年份「{year_text[:10]}」不对，请写 2000 到 {this_year + 1} 之间的年份，"
                               f"例如 {this_year}。", "参数有误")
        period = "quarter" if params.get("period") == "quarter" else "month"
        branch = str(params.get("branch", "")).strip()
        branch_id = int(branch) if branch.isdigit() else None
        if branch and (branch_id is None or not viewer.scope.sees_branch(branch_id)):
            raise Refused(403, NOT_YOURS)
        if branch_id is None and not viewer.scope.everything and len(viewer.scope.branch_ids) == 1:
            branch_id = next(iter(viewer.scope.branch_ids))  # a 书记's own branch
        page_text = str(params.get("page", "")).strip()
        page = int(page_text) if page_text.isdigit() and 0 < int(page_text) < 100_000 else 1
        return cls(int(year_text) if year_text else this_year, period, branch_id, page)

    def branch_ids(self, viewer: Viewer) -> list[int] | None:
        """The branches to compute: the one chosen, else all in scope (None: every branch, for the 党委)."""
        if self.branch_id is not None:
            return [self.branch_id]
        return None if viewer.scope.everything else sorted(viewer.scope.branch_ids)

    def page_of(self, branch_ids: list[int]) -> tuple[list[int], int]:
        """The branches of this page of the grid (`branch_ids` in order) and the number of pages."""
        pages = max(1, -(-len(branch_ids) // GRID_PAGE))
        page = min(self.page, pages)
        return branch_ids[(page - 1) * GRID_PAGE:page * GRID_PAGE], pages

    def query(self, **changes: Any) -> str:
        values = {"year": self.year, "period": self.period, "branch": self.branch_id or ""} | changes
        return "?" + urlencode({k: v for k, v in values.items() if v not in ("", None)})


@dataclass(frozen=True)
class BranchGrid:
    branch_id: int
    name: str
    rows: list[tuple[str, list[GridCell]]]  # (meeting type, a cell per period)


def arrange(cells: list[GridCell]) -> tuple[list[GridPeriod], list[BranchGrid]]:
    """The periods (columns) and, per branch, one row per meeting type in the report's order."""
    periods: list[GridPeriod] = []
    grids: dict[int, tuple[str, dict[str, list[GridCell]]]] = {}
    for cell in cells:
        if cell.period not in periods:
            periods.append(cell.period)
        _, types = grids.setdefault(cell.branch_id, (cell.row.branch, {}))
        types.setdefault(cell.row.type, []).append(cell)
    return periods, [BranchGrid(bid, name, list(types.items())) for bid, (name, types) in grids.items()]
