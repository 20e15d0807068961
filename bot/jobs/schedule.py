"""Builds the scheduled side of the bot from the settings: the study library and its search, the
calendar, the study plans, the job store, the outbox worker, and the study and meeting services."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bot.clock import SHANGHAI, Clock
from bot.jobs.book import JobBook
from bot.jobs.outbox_worker import OutboxWorker
from bot.messages import Outgoing
from bot.services.attendance import AttendanceService
from bot.services.meeting_files import check_meeting_files, sync_meeting_files
from bot.services.meetings import MeetingService
from bot.services.push_rate import PushRate
from bot.services.pushes import PushService, Target
from bot.services.records_reminder import REMINDER_PHRASE, RecordsReminder
from bot.services.study import StudyService
from bot.services.weekly_summary import WeeklySummary
from bot.settings import Settings, parse_offset
from bot.storage.db import Database
from content.library import bundled_dir, load_library
from content.plans import PlanEntry, load_plans
from scheduler.meetings import meeting_types
from scheduler.month_end import MonthEndTrigger
from scheduler.phrases import When, WhenError, format_time, occurrences, parse_when
from scheduler.points import Category
from scheduler.workdays import WorkCalendar

__all__ = ["Schedule", "build_schedule", "occurrence"]

log = logging.getLogger(__name__)


def occurrence(trigger: object, now: datetime, grace: timedelta) -> datetime:
    """The scheduled time of the run happening now: the trigger's latest fire time at or before `now`
    (within the grace a late run has), as naive Shanghai time; `now` when none is found."""
    aware_now = now.replace(tzinfo=SHANGHAI)
    found = occurrences(trigger, aware_now - grace - timedelta(minutes=1), aware_now)
    return found[-1].astimezone(SHANGHAI).replace(tzinfo=None) if found else now


@dataclass
class Schedule:
    calendar: WorkCalendar
    study: StudyService
    pushes: PushService
    meetings: MeetingService
    attendance: AttendanceService
    jobs: JobBook
    outbox: OutboxWorker
    problems: list[str] = field(default_factory=list)  # for the admin: bad study items, plans, calendar gaps
    load_plans: Callable[[], tuple[list[PlanEntry], list[str]]] | None = None
    plan_files: list[Path] = field(default_factory=list)
    meeting_files: list[Path] = field(default_factory=list)
    meeting_problems: list[str] = field(default_factory=list)
    _stamps: dict[Path, float] = field(default_factory=dict)
    order_round: Callable[[str], None] | None = None  # a 全委竞赛 ordered on the command line (a "round" job)
    records: RecordsReminder | None = None  # the 待补记录 reminder (a "records" job)
    summary: WeeklySummary | None = None  # the committee's weekly summary (a "summary" job), where summary: asks

    def _plan_stamps(self) -> dict[Path, float]:
        return {path: (path.stat().st_mtime if path.exists() else -1.0) for path in self.plan_files}

    def refresh_plans(self, force: bool = False) -> bool:
        """Re-read the plan files if they changed (or `force`), and make the jobs match: the running
        service sees `studybot reload` and edits without a restart. True when they were re-read."""
        stamps = self._plan_stamps()
        if (not force and stamps == self._stamps) or self.load_plans is None:
            return False
        self._stamps = stamps
        entries, problems = self.load_plans()
        for problem in problems:
            log.warning("%s", problem)
        self.pushes.plans = {entry.id: entry for entry in entries}
        self.pushes.reconcile()
        return True

    def run_job(self, kind: str, ref: str) -> None:
        if kind == "plan":
            if ref not in self.pushes.plans:
                self.refresh_plans()  # edited since we read it, by someone who ran studybot reload
            self.pushes.run_plan(ref)
        elif kind == "push":
            self.pushes.run_arranged(ref)
        elif kind == "remind":
            self.meetings.remind(ref)
        elif kind == "notice":
            self.attendance.warning_notice() if ref == "warning" else self.attendance.overdue_notice()
        elif kind == "round" and self.order_round is not None:
            self.order_round(ref)
        elif kind == "records" and self.records is not None:
            self.records.remind()
        elif kind == "summary" and self.summary is not None:
            self.summary.send()
        else:
            log.warning("unknown job kind %s (%s)", kind, ref)

    def reconcile(self) -> tuple[int, int, int]:
        """Jobs made to match the plans, arranged pushes and meetings (those in meeting files first
        brought in line with their files); (added, changed, removed) of the plans' jobs."""
        self._stamps = self._plan_stamps()
        counts = self.pushes.reconcile()
        if self.meeting_files:
            with self.meetings.db.session() as session:
                _, problems = sync_meeting_files(self.meetings, session, self.meeting_files)
                session.commit()
            for problem in problems:
                log.info("%s", problem)  # the commands that need them print them once (meeting_file_problems)
            self.meeting_problems = problems
        self.meetings.reconcile()
        if self.records is not None:
            self.jobs.reconcile([self.records.spec()], prefix="records:")
        wanted = self.summary is not None and self.summary.wanted
        self.jobs.reconcile([self.summary.spec()] if self.summary is not None and wanted else [], prefix="summary:")
        return counts

    def meeting_file_problems(self) -> list[str]:
        """What is wrong in the meeting files (meetings.files), found without changing any meeting."""
        if not self.meeting_files:
            return []
        with self.meetings.db.session() as session:
            return check_meeting_files(self.meetings, session, self.meeting_files)

    def next_due(self) -> datetime | None:
        times = [t for t in (self.jobs.next_due(), self.outbox.next_due()) if t is not None]
        return min(times) if times else None

    def fire_due(self) -> int:
        """Simulated and interactive runs: the jobs due now, then the outbox."""
        runs = self.jobs.fire_due()
        return runs + self.outbox.drain()


def month_end_trigger(at: str, days: int, calendar: WorkCalendar, problems: list[str]) -> MonthEndTrigger | None:
    """The warning's trigger (None when meetings.warning_days is 0); a time that is no HH:MM is a problem."""
    if not days:
        return None
    match = re.fullmatch(r"\s*([01]?\d|2[0-3])[:：]([0-5]\d)\s*", at)
    if match is None:
        problems.append(f"meetings.warning_time：「{at}」应形如 09:00；改用 09:00")
    return MonthEndTrigger(days, int(match[1]) if match else 9, int(match[2]) if match else 0, calendar)


def build_schedule(settings: Settings, *, db: Database, clock: Clock, channels: Callable[[], dict],
                   start_contest: Callable[[Target, PlanEntry, datetime], list[Outgoing]],
                   send: Callable[[list[Outgoing]], None],
                   start_round: Callable[[PlanEntry, datetime], list[Outgoing]] | None = None,
                   order_round: Callable[[str], None] | None = None) -> Schedule:
    problems: list[str] = []
    content = settings.content
    dirs = ([bundled_dir()] if content.sample_library else []) + list(content.dirs)
    loaded = load_library(dirs)
    problems += [f"学习资料未加载：{error}" for error in loaded.errors]
    library = loaded.library

    cal = settings.calendar
    calendar = WorkCalendar(holidays=cal.holidays, workdays=cal.workdays)
    year = clock.now().year
    if warning := calendar.coverage_warning([year, year + 1]):
        problems.append(warning)
    def parse(text: str, shift: str = cal.shift, at: datetime | None = None) -> When:
        # `now` read at each call: a service running for months dates 「12月1日」 from today, not from its start;
        # `at`: read as of then (a push arranged then, whose one-off time may have passed since)
        return parse_when(text, calendar=calendar, shift=shift, now=(at or clock.now()).replace(tzinfo=SHANGHAI))

    sched = settings.schedule
    rate = PushRate(interval=timedelta(hours=sched.min_push_interval_hours), now=clock.now, describe_time=format_time)

    def parse_plan(text: str, shift: str = cal.shift) -> When:
        when = parse(text, shift)
        if (refused := rate.plan_refusal(when.text, when.trigger)) is not None:
            raise WhenError(refused)  # the plan's loader makes it a problem with the file and the line
        return when

    def read_plans() -> tuple[list[PlanEntry], list[str]]:
        entries, found = load_plans(list(content.plans), parse_when=parse_plan,
                                    item_ids=lambda ref: (library.get(ref).id if library.get(ref) else None),
                                    folder_ids=lambda name: [i.id for i in library.folder(name)],
                                    default_shift=cal.shift)
        return entries, [f"学习计划有误：{p}" for p in found]

    plans, plan_problems = read_plans()
    problems += plan_problems

    jobs_handler: list[Callable[[str, str], None]] = []
    jobs = JobBook(db=db, now=clock.now, handler=lambda kind, ref: jobs_handler[0](kind, ref))
    study = StudyService(library=library, points=settings.points.study, rules=settings.points.rules())
    pushes = PushService(db=db, study=study, jobs=jobs, plans=plans, parse_when=parse, occurrence=occurrence,
                         describe_time=format_time, push_grace=timedelta(minutes=sched.push_grace_minutes),
                         contest_grace=timedelta(minutes=sched.contest_grace_minutes), start_contest=start_contest,
                         start_round=start_round, send=send, now=clock.now, rate=rate)
    meet = settings.meetings
    try:
        notice = parse(meet.overdue_notice, "none")
    except Exception as exc:  # WhenError: the admin's phrase
        problems.append(f"meetings.overdue_notice：{exc}；改用「每月第一个工作日 09:00」")
        notice = parse("每月第一个工作日 09:00", "none")
    warning = month_end_trigger(meet.warning_time, meet.warning_days, calendar, problems)
    signin_after = timedelta(minutes=meet.signin_after)
    meetings = MeetingService(db=db, jobs=jobs, types=meeting_types(meet.types), calendar=calendar,
                              offsets=[parse_offset(o) for o in meet.reminders], listed_after=signin_after,
                              notice_trigger=notice.trigger, notice_grace=timedelta(hours=sched.notice_grace_hours),
                              now=clock.now, warning_trigger=warning)
    attendance = AttendanceService(db=db, meetings=meetings, signin_before=timedelta(minutes=meet.signin_before),
                                   signin_after=signin_after, now=clock.now, bodies=meet.groups,
                                   warning_days=meet.warning_days,
                                   meeting_cap=settings.points.cap(Category.MEETING))
    records = RecordsReminder(db=db, meetings=meetings, calendar=calendar,
                              trigger=parse(REMINDER_PHRASE, "none").trigger,
                              grace=timedelta(hours=sched.notice_grace_hours), now=clock.now)
    outbox = OutboxWorker(db=db, channels=channels, now=clock.now, sleep=clock.sleep, per_minute=sched.per_minute)
    summary = WeeklySummary(db=db, reports=attendance.reports, trigger=_summary_when(settings, parse, problems),
                            grace=timedelta(hours=sched.notice_grace_hours), now=clock.now,
                            groups=settings.summary.groups, members=settings.summary.members)
    schedule = Schedule(calendar, study, pushes, meetings, attendance, jobs, outbox, problems, read_plans,
                        list(content.plans), list(meet.files), order_round=order_round, records=records,
                        summary=summary)
    jobs_handler.append(schedule.run_job)
    return schedule


def _summary_when(settings: Settings, parse: Callable[..., When], problems: list[str]) -> object:
    """The weekly summary's trigger, from summary.when; a phrase that cannot be read is said, and Monday 09:00 used."""
    try:
        return parse(settings.summary.when, "none").trigger
    except WhenError as exc:
        problems.append(f"summary.when：{exc}；改用「每周一 09:00」")
        return parse("每周一 09:00", "none").trigger
