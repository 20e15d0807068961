"""The 待补记录 reminder: a daily job that tells a branch's 书记, privately and through the outbox, about a meeting
that has neither minutes nor attendance on the next working day after it (scheduler/meetings/records.py), once
per meeting and secretary (the outbox key)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.jobs.book import JobSpec
from bot.services.meetings import MeetingService, aware
from bot.storage.db import Database
from bot.storage.minutes import attended_counts, meetings_started_between, minuted
from bot.storage.models import Branch, MeetingRow
from bot.storage.outbox import Push, enqueue
from bot.storage.people import identities_of, members_with_role
from scheduler.meetings import WorkdayCalendar, when_text
from scheduler.meetings.records import REMINDER_TIME, REMINDER_WITHIN, meeting_status, reminder_due
from scheduler.workdays import MAX_SEARCH_DAYS

__all__ = ["RecordsReminder", "REMINDER_PHRASE"]

log = logging.getLogger(__name__)

REMINDER_PHRASE = f"每天 {REMINDER_TIME:%H:%M}"  # the job's time; the rule decides which days have something to say


class RecordsReminder:
    def __init__(self, *, db: Database, meetings: MeetingService, calendar: WorkdayCalendar, trigger: object,
                 grace: timedelta, now: Callable[[], datetime]) -> None:
        self._db, self._meetings, self._calendar = db, meetings, calendar
        self._trigger, self._grace, self._now = trigger, grace, now

    def spec(self) -> JobSpec:
        return JobSpec("records:pending", "records", "pending", self._trigger, self._grace)

    def remind(self) -> None:
        """Each meeting still 待补记录 whose reminder is due: its branch's 书记 told privately (once)."""
        now = self._now()
        pushes: list[Push] = []
        with self._db.session() as session:
            # the reminder is due from the next working day after the meeting (a long holiday away at most)
            rows = meetings_started_between(session=session, until=now,
                                             since=now - REMINDER_WITHIN - timedelta(days=MAX_SEARCH_DAYS))
            rows = [row for row in rows if reminder_due(aware(row.start_at), aware(now), self._calendar)]
            ids = [row.id for row in rows if row.id is not None]
            counts, done = attended_counts(session=session, meeting_ids=ids), minuted(session=session, meeting_ids=ids)
            for row in rows:
                if meeting_status(row.start_at, now, has_minutes=row.id in done,
                                  attended=counts.get(row.id or 0, 0)) != "pending":
                    continue
                secretaries = members_with_role(session=session, branch_id=row.branch_id, role="secretary")
                if not secretaries:
                    log.warning("meeting %s has no record yet but its branch has no secretary to tell", row.id)
                text = self._text(session.get(Branch, row.branch_id), row)
                for member in secretaries:
                    for identity in identities_of(session=session, member_id=member.id):
                        pushes.append(Push(key=f"records:{row.id}:{member.id}:{identity.channel}", kind="notice",
                                           channel=identity.channel, chat_id=identity.external_id, chat_name="私聊",
                                           is_group=False, text=text, due_at=now, branch_id=row.branch_id))
            enqueue(session=session, pushes=pushes, now=now)
            session.commit()

    def _text(self, branch: Branch | None, row: MeetingRow) -> str:
        name = self._meetings.type_of(row.type_key).name
        return (f"📋 {branch.name if branch else ''}会议记录提醒：{when_text(aware(row.start_at))}的{name}"
                f"（编号 {row.id}）还没有会议记录，也没有签到记录，目前计为「待补记录」。\n"
                f"请私聊我发送「会议记录 {row.id}」填写会议记录；如会议没有召开，请发送「取消会议 {row.id}」。")
