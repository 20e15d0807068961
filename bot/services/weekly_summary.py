"""The weekly summary for the committee (issue 17): one message on the week just ended — how many members took part,
answers and study, the branches first by points per member, the branches whose 三会一课 need attention — sent
through the outbox to the groups and members `summary:` names, once per week and destination (the outbox key)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, time, timedelta

from sqlmodel import Session, col, select

from bot.jobs.book import JobSpec
from bot.render import MEDALS
from bot.services.meeting_report import MeetingReports
from bot.storage.db import Database
from bot.storage.models import ChatGroup, Member
from bot.storage.outbox import Push, enqueue
from bot.storage.people import identities_of
from bot.storage.ranking import branch_ranking
from bot.storage.week_figures import week_figures
from scheduler.periods import Period, period_key

__all__ = ["WeeklySummary"]

log = logging.getLogger(__name__)

ATTENTION_SHOWN = 5  # branches named under 三会一课; the rest counted


class WeeklySummary:
    def __init__(self, *, db: Database, reports: MeetingReports, trigger: object, grace: timedelta,
                 now: Callable[[], datetime], groups: Sequence[str], members: Sequence[str]) -> None:
        self._db, self._reports, self._trigger, self._grace, self._now = db, reports, trigger, grace, now
        self._groups, self._members = list(groups), list(members)

    @property
    def wanted(self) -> bool:
        return bool(self._groups or self._members)

    def spec(self) -> JobSpec:
        return JobSpec("summary:weekly", "summary", "weekly", self._trigger, self._grace)

    def send(self) -> None:
        now = self._now()
        with self._db.session() as session:
            text = self.text(session, now)
            week = period_key(Period.WEEK, (now - timedelta(days=7)).date())
            pushes = [Push(key=f"summary:{week}:{channel}:{chat_id}", kind="notice", channel=channel, chat_id=chat_id,
                           chat_name=name, is_group=is_group, text=text, due_at=now)
                      for channel, chat_id, name, is_group in self._destinations(session)]
            if not pushes:
                log.warning("the weekly summary has nowhere to go: summary.groups and summary.members name no group "
                            "or member the bot knows")
            enqueue(session=session, pushes=pushes, now=now)
            session.commit()

    def text(self, session: Session, now: datetime) -> str:
        """The summary of the week (Monday to Sunday) before the one `now` is in."""
        monday = now.date() - timedelta(days=now.weekday() + 7)
        since, until = datetime.combine(monday, time()), datetime.combine(monday + timedelta(days=7), time())
        week = period_key(Period.WEEK, monday)
        figures = week_figures(session, week_key=week, since=since, until=until)
        share = f"（{figures.active / figures.members:.0%}）" if figures.members else ""
        sunday = monday + timedelta(days=6)
        lines = [f"📊 党建工作周报（{monday.month}月{monday.day}日—{sunday.month}月{sunday.day}日）",
                 f"参与：{figures.active}/{figures.members} 名党员取得党建积分{share}",
                 f"答题 {figures.answers} 人次，已学 {figures.reads} 人次"]
        branches = [b for b in branch_ranking(session=session, period_key=week) if b.total_points > 0][:3]
        if branches:
            lines.append("支部人均积分前三：" + "，".join(
                f"{MEDALS[b.rank - 1]} {b.name} {b.average_points:.1f} 分" for b in branches))
        lines.append(self._meetings(session, now))
        lines.append("详情请私聊我发送「管理后台」，获取登录链接后查看。")
        return "\n".join(lines)

    def _meetings(self, session: Session, now: datetime) -> str:
        """Branches behind in the month just ended (a period that is over, so 未达要求 is a fact, not a pace), and
        meetings this quarter still 待补记录; branches without members (a group of its own) are left out."""
        staffed = {b.name for b in branch_ranking(session=session, period_key="ALL")}
        last_month = now.date().replace(day=1) - timedelta(days=1)
        ended, _ = self._reports.report(session, period="month", day=last_month)
        behind = sorted({row.branch for row in ended if row.behind and row.branch in staffed})
        current, _ = self._reports.report(session, period="quarter", day=now.date())
        pending: dict[str, int] = {}
        for row in current:
            if row.pending and row.branch in staffed:
                pending[row.branch] = pending.get(row.branch, 0) + row.pending
        parts = []
        if behind:
            more = f"等 {len(behind)} 个支部" if len(behind) > ATTENTION_SHOWN else ""
            parts.append(f"{last_month.month}月未达要求：{'、'.join(behind[:ATTENTION_SHOWN])}{more}")
        if pending:
            names = [f"{name} {count} 次" for name, count in sorted(pending.items())]
            more = f"等 {len(names)} 个支部" if len(names) > ATTENTION_SHOWN else ""
            parts.append(f"待补会议记录：{'、'.join(names[:ATTENTION_SHOWN])}{more}")
        if not parts:
            return "三会一课：上月各支部均达要求，本季度没有待补的会议记录。"
        return "三会一课需关注：" + "；".join(parts) + "。"

    def _destinations(self, session: Session) -> list[tuple[str, str, str, bool]]:
        found: list[tuple[str, str, str, bool]] = []
        if self._groups:
            wanted = set(self._groups)
            for group in session.exec(select(ChatGroup)).all():
                if group.name in wanted or group.external_id in wanted:
                    found.append((group.channel, group.external_id, group.name, True))
        if self._members:
            for member in session.exec(select(Member).where(col(Member.name).in_(self._members))).all():
                assert member.id is not None
                found += [(i.channel, i.external_id, "私聊", False)
                          for i in identities_of(session=session, member_id=member.id)]
        return found
