"""What 排行 shows: the filters read from the URL (the same words `studybot rank` takes), checked against the
viewer's scope, and the rows they select — one page for the screen, all of them for an export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session

from bot.services.rank_table import BRANCH_COLUMNS, MEMBER_COLUMNS, branch_records, member_records
from bot.storage.dashboard_ranking import ranked_members
from bot.storage.ranking import branch_ranking
from bot.web.dashboard import Refused
from bot.web.viewer import Scope, Viewer
from scheduler.periods import PERIOD_LABELS, Period, period_key
from scheduler.points import CATEGORY_LABELS, Category, category_key

__all__ = ["RankingQuery", "PAGE_SIZE", "CATEGORIES", "NOT_FOR_MEMBERS"]

PAGE_SIZE = 20
CATEGORIES = (Category.STUDY, Category.QUIZ, Category.MEETING, Category.SERVICE, Category.VANGUARD)
NOT_FOR_MEMBERS = "排行仅对书记、委员和党委开放；您的积分见「总览」。"
NOT_YOURS = "无权查看该支部的数据。"


@dataclass(frozen=True)
class RankingQuery:
    by: str  # member | branch
    period: Period
    category: Category | None
    search: str
    page: int
    branch_id: int | None  # narrowed to one branch

    @classmethod
    def read(cls, params: Any, viewer: Viewer) -> RankingQuery:
        """The filters from the query string; a value that is not one of the choices is the default, a branch
        outside the viewer's scope is Refused(403), as is 排行 for a viewer who sees only themself."""
        if not viewer.scope.sees_branches:
            raise Refused(403, NOT_FOR_MEMBERS)
        by = "branch" if params.get("by") == "branch" else "member"
        period = next((p for p in Period if p.value == params.get("period")), Period.ALL)
        category = next((c for c in CATEGORIES if c.value == params.get("category")), None)
        search = str(params.get("q", "")).strip()[:50]
        page = int(params["page"]) if str(params.get("page", "")).isdigit() else 1
        branch = str(params.get("branch", "")).strip()
        branch_id = int(branch) if branch.isdigit() else None
        if branch and (branch_id is None or not viewer.scope.sees_branch(branch_id)):
            raise Refused(403, NOT_YOURS)
        return cls(by, period, category, search, max(page, 1), branch_id)

    def key(self, today: Any) -> str:
        """The totals key `studybot rank` reads for the same choices."""
        return category_key(period_key(self.period, today), self.category)

    def label(self) -> str:
        what = "个人" if self.by == "member" else "支部（按人均积分）"
        kind = f"，{CATEGORY_LABELS[self.category]}" if self.category else ""
        return f"{what}，{PERIOD_LABELS[self.period]}{kind}"

    def scope(self, viewer: Viewer) -> Scope:
        return Scope(branch_ids=frozenset({self.branch_id})) if self.branch_id is not None else viewer.scope

    def url(self, path: str = "/ranking", **changes: Any) -> str:
        values = {"by": self.by, "period": self.period.value, "category": self.category.value if self.category else "",
                  "q": self.search, "branch": self.branch_id or "", "page": self.page} | changes
        return f"{path}?{urlencode({k: v for k, v in values.items() if v not in ('', None)})}"

    def rows(self, session: Session, viewer: Viewer, today: Any, *, everything: bool = False
             ) -> tuple[list[dict[str, Any]], dict[str, str], int]:
        """The records of one page (or all, for an export), their columns, and how many there are in all."""
        scope = self.scope(viewer)
        offset, limit = (0, None) if everything else ((self.page - 1) * PAGE_SIZE, PAGE_SIZE)
        if self.by == "member":
            ranks, total = ranked_members(session, period_key=self.key(today), scope=scope,
                                          search=self.search, offset=offset, limit=limit)
            return member_records(ranks), MEMBER_COLUMNS, total
        branches = branch_ranking(session=session, period_key=self.key(today),
                                  branch_ids=None if scope.everything else scope.branch_ids)
        if self.search:
            branches = [b for b in branches if self.search in b.name]
        shown = branches[offset:] if limit is None else branches[offset:offset + limit]
        return branch_records(shown), BRANCH_COLUMNS, len(branches)
