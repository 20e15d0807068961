"""会议统计 in a chat, and the notices to secretaries: after a month (the periods just ended,
scheduler/meetings/overdue.py) and in its last days (what is still missing)."""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlmodel import Session

from bot.services.meeting_report import MeetingReports
from bot.storage.branches import all_branches
from bot.storage.db import Database
from bot.storage.models import Branch
from bot.storage.outbox import Push, enqueue
from bot.storage.people import identities_of, members_with_role
from scheduler import meetings as rules
from scheduler.meetings import overdue
from scheduler.meetings.requirements import FULL_FOR_COMMITTEE

__all__ = ["send_notices", "stats_text"]

log = logging.getLogger(__name__)


def _notice(reports: MeetingReports, session: Session, branch: Branch, now: datetime,
            warning_days: int | None) -> tuple[str, str] | None:
    """(the period the notice is about, its text), or None when there is nothing to say."""
    today = now.date()
    if warning_days is None:
        last = overdue.ended_day(today)
        lines = overdue.ended_lines(reports.checks(session, branch, last), today)
        return (f"{last:%Y%m}", overdue.ended_text(branch.name, today, lines)) if lines else None
    lines = overdue.warning_lines(reports.checks(session, branch, today), today)
    return (f"warn{today:%Y%m}", overdue.warning_text(branch.name, today, lines)) if lines else None


def send_notices(db: Database, reports: MeetingReports, now: datetime, *, warning_days: int | None) -> None:
    """The overdue notice (warning_days None) or the warning, privately to each secretary of a branch behind.
    Keyed by the month it speaks of, so a job run twice (or late) tells nobody twice."""
    if warning_days is not None and not overdue.warning_due(now.date(), warning_days):
        return  # the warning's job runs every working day; most of them are not in a month's last days
    with db.session() as session:
        pushes = []
        for branch in all_branches(session=session):
            found = _notice(reports, session, branch, now, warning_days)
            if found is None:
                continue
            about, text = found
            secretaries = members_with_role(session=session, branch_id=branch.id or 0, role="secretary")
            if not secretaries:
                log.warning("branch %s is behind on meetings but has no secretary to tell", branch.name)
            for member in secretaries:
                for identity in identities_of(session=session, member_id=member.id or 0):
                    pushes.append(Push(key=f"notice:{about}:{member.id}:{identity.channel}", kind="notice",
                                       channel=identity.channel, chat_id=identity.external_id, chat_name="私聊",
                                       is_group=False, text=text, due_at=now, branch_id=branch.id))
        enqueue(session=session, pushes=pushes, now=now)
        session.commit()


def _why_none(check: rules.Compliance, facts: rules.BranchFacts) -> str:
    if check.type.key == "committee" and not facts.has_committee:
        return f"（正式党员 {facts.full_members} 人，不足 {FULL_FOR_COMMITTEE} 人，不设支委会）"
    if check.type.key == "group" and not facts.party_groups:
        return "（未设党小组）"
    return ""


def stats_text(reports: MeetingReports, session: Session, branch_id: int | None, day: date) -> str:
    """会议统计: this quarter's figures of the asker's branch, one line per type."""
    branch = session.get(Branch, branch_id) if branch_id else None
    if branch is None:
        return "本支部还没有会议记录。"
    rows, _ = reports.report(session, period="quarter", day=day, branch_ids=[branch.id or 0])
    facts = reports.facts(session, branch)
    checks = {c.type.name: c for c in reports.checks(session, branch, day, report_period="quarter")}
    lines = [f"📊 {branch.name} {rules.period_label('quarter', day)}三会一课："]
    for row in rows:
        mark = "✅" if row.held >= row.required else "⚠️" if row.behind else "🕓"
        extra = [f"待补记录 {row.pending} 次"] if row.pending else []
        extra += [f"出勤率 {row.attendance_rate:.0%}"] if row.attendance_rate is not None else []
        extra += [f"请假 {row.leave} 人次"] if row.leave else []
        extra += [f"{row.quorum_problems} 次不足法定人数"] if row.quorum_problems else []
        why = _why_none(checks[row.type], facts) if row.type in checks else ""
        lines.append(f"{mark} {row.type}：已开 {row.held} 次 / 应开 {row.required} 次{why}"
                     + "".join(f"，{e}" for e in extra))
    return "\n".join(lines)
