"""What 支部 shows, read once for the page and for each of its exports (so a download holds what the screen shows):
the branch (in the viewer's scope, or Refused), its members with points, participation and attendance in a period,
its meetings of the period and those to come, and its chat groups — each as a tables.Table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from bot.services.meeting_report import MeetingRecord
from bot.storage.dashboard_branch import (
    BranchRow,
    GroupRow,
    MemberFigures,
    branch_exists,
    branch_groups,
    member_figures,
    scoped_branch,
)
from bot.storage.models import Branch
from bot.storage.models_records import MEMBER_CATEGORIES
from bot.web.dashboard import Dashboard, Refused
from bot.web.tables import Column, Table
from bot.web.viewer import Viewer
from scheduler.periods import PERIOD_LABELS, Period, period_key, period_start

__all__ = ["BranchView", "branch_view", "read_period", "number_of", "role_text", "category_text", "CHANNELS",
           "BEGINNING", "UPCOMING_DAYS"]

BEGINNING = datetime(2000, 1, 1)  # 总: every record is after it
UPCOMING_DAYS = 60
CHANNELS = {"wecom": "企业微信", "dingtalk": "钉钉", "wechat_mp": "微信公众号", "local": "本地测试"}
NO_BRANCH = "没有这个支部。"
NOT_YOUR_BRANCH = "无权查看该支部：书记、委员只能查看本支部，党员只能查看自己的页面。"
MEETING_STATUS = {"upcoming": "未开始", "held": "已开展", "pending": "待补记录"}

MEMBER_COLUMNS = (Column("姓名", width=14), Column("职务"), Column("党员类别"), Column("党小组", width=16),
                  Column("积分"), Column("答题"), Column("答对"), Column("已学"), Column("应到会议"), Column("出席"),
                  Column("请假"), Column("缺席"))
MEETING_COLUMNS = (Column("时间", width=18), Column("会议类型", width=20), Column("主题", width=30), Column("状态"),
                   Column("应到"), Column("出席"), Column("请假"), Column("缺席"), Column("出席率", "0.0%"))
GROUP_COLUMNS = (Column("群名称", width=30), Column("平台"))


def number_of(text: str, what: str) -> int:
    """A path's id as a number, or Refused(404) (never FastAPI's 422 in English)."""
    if not text.isdigit() or len(text) > 18:
        raise Refused(404, f"没有这个{what}。", "没有这个页面")
    return int(text)


def read_period(params: Any, default: Period = Period.MONTH) -> Period:
    """The period from the query string (the values 排行 and `studybot rank` take); anything else is `default`."""
    return next((p for p in Period if p.value == params.get("period")), default)


def role_text(role: str, position: str) -> str:
    """支部职务 as the roster writes it (书记, 组织委员 …), else the role (书记, 委员), else nothing."""
    return position or {"secretary": "书记", "committee": "委员", "admin": "管理员"}.get(role, "")


def category_text(category: str) -> str:
    return MEMBER_CATEGORIES.get(category, category) if category else "党员"


@dataclass(frozen=True)
class BranchView:
    branch: BranchRow
    period: Period
    members: list[MemberFigures]
    meetings: list[MeetingRecord]  # of the period, newest first
    upcoming: list[MeetingRecord]  # soonest first
    groups: list[GroupRow]
    now: datetime

    @property
    def period_label(self) -> str:
        return PERIOD_LABELS[self.period]

    def title(self, what: str) -> str:
        return f"{self.branch.name}-{what}-{self.period_label}"

    def members_table(self) -> Table:
        rows = [(m.name, role_text(m.role, m.position), category_text(m.category), m.party_group, m.points,
                 m.answers, m.correct, m.reads, m.expected, m.attended, m.leave, m.absent) for m in self.members]
        return Table(self.title("成员"), MEMBER_COLUMNS, rows)

    def meeting_status(self, record: MeetingRecord) -> str:
        if record.start > self.now:
            return MEETING_STATUS["upcoming"]
        return MEETING_STATUS["held" if record.held else "pending"]

    def meetings_table(self) -> Table:
        rows = []
        for r in [*reversed(self.upcoming), *self.meetings]:
            expected = len(r.expected)
            rate = len(r.present) / expected if expected and r.start <= self.now else None
            counts = (expected, len(r.present), len(r.leave), len(r.absent)) if r.start <= self.now \
                else (expected, None, None, None)
            rows.append((f"{r.start:%Y-%m-%d %H:%M}", r.type_name, r.topic, self.meeting_status(r), *counts, rate))
        return Table(self.title("会议"), MEETING_COLUMNS, rows)

    def meeting_ids(self) -> list[int]:
        """The meetings' ids in the order of meetings_table's rows (for the links to their records)."""
        return [r.id for r in [*reversed(self.upcoming), *self.meetings]]

    def groups_table(self) -> Table:
        rows = [(g.name, CHANNELS.get(g.channel, g.channel)) for g in self.groups]
        return Table(f"{self.branch.name}-群聊", GROUP_COLUMNS, rows)


def _bounds(period: Period, today: date) -> tuple[datetime, datetime]:
    start = period_start(period, today)
    return (datetime.combine(start, time()) if start else BEGINNING), datetime.combine(today + timedelta(days=1),
                                                                                      time())


def allowed_branch(session: Session, viewer: Viewer, branch_id: int) -> BranchRow:
    """The branch when the viewer's scope (in the SQL) lets them see it; else Refused(403), or 404 for no branch."""
    if not viewer.scope.sees_branches:
        raise Refused(403, NOT_YOUR_BRANCH)
    branch = scoped_branch(session, branch_id, viewer.scope.branch_filter())
    if branch is None:
        if branch_exists(session, branch_id):
            raise Refused(403, NOT_YOUR_BRANCH)
        raise Refused(404, NO_BRANCH, "没有这个页面")
    return branch


def branch_view(dash: Dashboard, viewer: Viewer, branch_id: int, period: Period) -> BranchView:
    now = dash.app.clock.now()
    since, until = _bounds(period, now.date())
    reports = dash.app.schedule.attendance.reports
    with dash.app.db.session() as session:
        branch = allowed_branch(session, viewer, branch_id)
        model = session.get(Branch, branch.id)
        assert model is not None
        # read first: it freezes the 应到 list of every meeting of the period that has started, which the
        # members' attendance counts
        meetings = reports.records(session, model, since, min(now, until))
        upcoming = reports.records(session, model, now + timedelta(microseconds=1), now + timedelta(UPCOMING_DAYS))
        members = member_figures(session, branch_id=branch.id, where=viewer.scope.member_filter(),
                                 period_key=period_key(period, now.date()), since=since, until=until)
        groups = branch_groups(session, branch.id, viewer.scope.branch_filter("g.branch_id"))
    return BranchView(branch, period, members, list(reversed(meetings)), upcoming, groups, now)
