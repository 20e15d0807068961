"""What 成员 shows, read once for the page and for each of its exports: the member (in the viewer's scope, or
Refused), their points (本周, 本月, 总), the ledger's entries in the words of 积分明细 (bot/services/my_points.py),
the contests they took, their 错题本 count and the meetings they were expected at — each table as a tables.Table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from bot.services.my_points import ledger_what
from bot.storage.dashboard_member import (
    ContestTaken,
    MeetingMark,
    MemberRow,
    contests_taken,
    meetings_of,
    member_exists,
    scoped_member,
)
from bot.storage.ledger_view import LedgerLine, ledger_lines, totals_of
from bot.storage.mistakes import open_mistakes
from bot.storage.models import Branch
from bot.web.dashboard import Dashboard, Refused
from bot.web.tables import Column, Table
from bot.web.viewer import Viewer
from scheduler.periods import Period, period_key
from scheduler.points import CATEGORY_LABELS, Category

__all__ = ["MemberView", "member_view", "LEDGER_PAGE", "SOURCES", "ATTENDANCE"]

LEDGER_PAGE = 30  # ledger lines on the page before 「更多」
FROZEN_DAYS = 400  # the member's branch meetings of the last ~year get their 应到 list frozen when read
NO_MEMBER = "没有这个成员。"
NOT_YOURS = "无权查看该成员：党员只能查看自己的页面，书记、委员只能查看本支部的成员。"
SOURCES = {"contest": "知识竞赛", "daily": "每日一题", "practice": "错题练习", "study": "学习资料",
           "meeting": "三会一课", "manual": "支委加减分"}
ATTENDANCE = {"present": "出席", "leave": "请假", "observer": "列席", "absent": "缺席"}
TOTALS = {"本周": Period.WEEK, "本月": Period.MONTH, "累计": Period.ALL}

LEDGER_COLUMNS = (Column("时间", width=18), Column("类别"), Column("积分"), Column("事由", width=40),
                  Column("来源"), Column("超上限未计入"))
CONTEST_COLUMNS = (Column("日期", width=18), Column("群聊", width=20), Column("题库", width=20), Column("答题数"),
                   Column("答对"), Column("得分"), Column("类型"))
MEETING_COLUMNS = (Column("时间", width=18), Column("支部", width=16), Column("会议类型", width=20),
                   Column("主题", width=30), Column("出席情况"))


def _category(value: str) -> str:
    return CATEGORY_LABELS.get(Category(value), value) if value in set(Category) else value


@dataclass(frozen=True)
class MemberView:
    member: MemberRow
    totals: dict[str, int]  # 本周, 本月, 累计
    ledger: list[LedgerLine]
    contests: list[ContestTaken]
    mistakes: int
    meetings: list[MeetingMark]
    type_names: dict[str, str]

    def ledger_table(self, limit: int | None = None) -> Table:
        lines = self.ledger if limit is None else self.ledger[:limit]
        rows = [(f"{line.at:%Y-%m-%d %H:%M}", _category(line.category), line.amount, ledger_what(line),
                 SOURCES.get(line.reason, line.reason), line.withheld or None) for line in lines]
        return Table(f"{self.member.name}-积分明细", LEDGER_COLUMNS, rows)

    def contests_table(self) -> Table:
        rows = [(f"{c.started_at:%Y-%m-%d %H:%M}", c.group, c.bank, c.answered, c.correct, c.score,
                 "计分" if c.scored else "练习赛") for c in self.contests]
        return Table(f"{self.member.name}-竞赛", CONTEST_COLUMNS, rows)

    def meeting_name(self, mark: MeetingMark) -> str:
        name = self.type_names.get(mark.type_key, mark.type_key)
        return f"{name}（{mark.party_group}）" if mark.party_group else name

    def meetings_table(self) -> Table:
        rows = [(f"{m.start:%Y-%m-%d %H:%M}", m.branch, self.meeting_name(m), m.topic,
                 ATTENDANCE.get(m.status, m.status)) for m in self.meetings]
        return Table(f"{self.member.name}-会议", MEETING_COLUMNS, rows)

    def attendance_counts(self) -> dict[str, int]:
        counts = {word: 0 for word in ATTENDANCE.values()}
        for m in self.meetings:
            word = ATTENDANCE.get(m.status, m.status)
            counts[word] = counts.get(word, 0) + 1
        return counts


def allowed_member(session: Session, viewer: Viewer, member_id: int) -> MemberRow:
    """The member when the viewer's scope (in the SQL) lets them see them; else Refused(403), or 404 for nobody."""
    member = scoped_member(session, member_id, viewer.scope.member_filter())
    if member is None:
        if member_exists(session, member_id):
            raise Refused(403, NOT_YOURS)
        raise Refused(404, NO_MEMBER, "没有这个页面")
    return member


def member_view(dash: Dashboard, viewer: Viewer, member_id: int) -> MemberView:
    now = dash.app.clock.now()
    today: date = now.date()
    reports = dash.app.schedule.attendance.reports
    where = viewer.scope.member_filter()
    with dash.app.db.session() as session:
        member = allowed_member(session, viewer, member_id)
        keys = {label: period_key(period, today) for label, period in TOTALS.items()}
        found = totals_of(session, member.id, list(keys.values()))
        if member.branch_id is not None and (branch := session.get(Branch, member.branch_id)) is not None:
            reports.records(session, branch, now - timedelta(days=FROZEN_DAYS), now)  # freezes their 应到 lists
        meetings = meetings_of(session, member.id, where, until=now + timedelta(microseconds=1))
        view = MemberView(
            member=member, totals={label: found[key] for label, key in keys.items()},
            ledger=ledger_lines(session, member.id, None), contests=contests_taken(session, member.id, where),
            mistakes=len(open_mistakes(session=session, member_id=member.id)), meetings=meetings,
            type_names={t.key: t.name for t in reports.types})
    return view
