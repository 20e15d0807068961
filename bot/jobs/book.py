"""Scheduled jobs in the bot's own database, through APScheduler 3.

The job store is APScheduler's `SQLAlchemyJobStore` on the bot's engine (table `apscheduler_jobs`), so
jobs survive restarts with everything else. Two runners share it:
- `studybot run`: APScheduler's `AsyncIOScheduler` on the service's loop (`start()` / `shutdown()`);
- the local chat and `.chat` scripts: `fire_due()`, called as the simulated clock moves. APScheduler 3
  reads the wall clock itself (when it looks for due jobs and when its executor checks a misfire), so
  it cannot follow a simulated clock; `fire_due` applies the same rules (coalesce, misfire grace) to
  the same stored jobs.

Every job calls `run_job(runner_key, kind, ref)`: APScheduler stores a job's callable as a textual
reference and its arguments pickled, so the callable must be a module-level function and find the
live app from its arguments. Each app registers its handler under its database URL in `_RUNNERS`
(a process-wide table, on purpose: a job loaded from the database after a restart has no other way
to reach the app that is running now).

Chosen on purpose (see README "Scheduling"): `coalesce=True` — several missed runs of one job are
run once; `misfire_grace_time` per kind of job — a run missed while the bot was down is still run
if it is at most that late, otherwise skipped with a log line; `max_instances=1`."""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from apscheduler.job import Job
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import select

from bot.clock import SHANGHAI
from bot.storage.db import Database

__all__ = ["JobSpec", "JobBook", "run_job", "JOB_TABLE"]

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
_FUNC = "bot.jobs.book:run_job"
# Where the callable lived before this package was renamed (bot/scheduling/jobs.py). A stored job still
# naming it cannot be restored, and APScheduler would drop it, losing a run missed while the bot was down:
# such jobs are renamed in place when the store is opened.
_OLD_FUNCS = frozenset({"bot.scheduling.jobs:run_job"})
_RUNNERS: dict[str, Callable[[str, str], None]] = {}


def run_job(runner_key: str, kind: str, ref: str) -> None:
    """The callable of every stored job."""
    runner = _RUNNERS.get(runner_key)
    if runner is None:
        log.warning("job %s:%s has no running app for %s; skipped", kind, ref, runner_key)
        return
    runner(kind, ref)


@dataclass(frozen=True)
class JobSpec:
    id: str  # "plan:<plan>#<entry>", "push:<id>", "remind:<meeting>:<seconds>", "notice:overdue", "notice:warning"
    kind: str
    ref: str
    trigger: BaseTrigger
    grace: timedelta  # misfire_grace_time

    @property
    def signature(self) -> str:
        """What makes a stored job this job: kept as the job's name, so an unchanged job keeps its
        next run time across restarts and reloads (and a missed run is still recognised as missed)."""
        return f"{self.kind}|{self.ref}|{self.trigger}|{int(self.grace.total_seconds())}"


class _GatedScheduler(AsyncIOScheduler):
    """Looks at the due jobs only while `gate()` says so: a leader that lost its lease, or a process woken from a
    pause past it, takes no run out of the job store (which would move the job on and skip that run for the next
    leader)."""
    gate: Callable[[], bool] | None = None

    def _process_jobs(self) -> float | None:
        if self.gate is not None and not self.gate():
            return None
        return super()._process_jobs()


def _aware(naive: datetime) -> datetime:
    return naive.replace(tzinfo=SHANGHAI)


def _naive(aware: datetime) -> datetime:
    return aware.astimezone(SHANGHAI).replace(tzinfo=None)


class JobBook:
    def __init__(self, *, db: Database, now: Callable[[], datetime], handler: Callable[[str, str], None]) -> None:
        self._now = now
        self._key = db.url
        self.store = SQLAlchemyJobStore(engine=db.engine, tablename=JOB_TABLE)
        self.scheduler = _GatedScheduler(jobstores={"default": self.store}, timezone=SHANGHAI,
                                         job_defaults={"coalesce": True, "max_instances": 1})
        self._handler = handler
        self._open = False
        self.real = False  # True when AsyncIOScheduler runs the jobs (or is about to)
        self.started = False
        self.gate: Callable[[], bool] | None = None  # several instances: run jobs only while this says so

    def open(self) -> None:
        """Create the job table if need be and register this app as the runner of its jobs."""
        if not self._open:
            self.store.start(self.scheduler, "default")
            self._rename_callables()
            self._open = True
        _RUNNERS[self._key] = self._handler

    def _rename_callables(self) -> None:
        table = self.store.jobs_t
        with self.store.engine.begin() as conn:
            for job_id, blob in conn.execute(select(table.c.id, table.c.job_state)).all():
                try:
                    state = pickle.loads(blob)
                except Exception:  # not ours to mend: APScheduler logs and drops what it cannot restore
                    continue
                if state.get("func") in _OLD_FUNCS:
                    state["func"] = _FUNC
                    conn.execute(table.update().where(table.c.id == job_id).values(
                        job_state=pickle.dumps(state, self.store.pickle_protocol)))
                    log.info("job %s: callable renamed to %s", job_id, _FUNC)

    def close(self) -> None:
        if self.started:
            self.scheduler.shutdown(wait=False)
            self.started = False
        self.real = False
        _RUNNERS.pop(self._key, None)

    # ----- jobs -----

    def _job(self, spec: JobSpec, next_run: datetime) -> Job:
        return Job(self.scheduler, id=spec.id, func=_FUNC, args=(self._key, spec.kind, spec.ref), kwargs={},
                   trigger=spec.trigger, executor="default", name=spec.signature,
                   misfire_grace_time=int(spec.grace.total_seconds()), coalesce=True, max_instances=1,
                   next_run_time=next_run)

    def put(self, spec: JobSpec) -> bool:
        """Add the job, or replace it if it changed; False when it will never run (a one-off whose time, and its
        grace, have passed: a one-off's trigger still names its time then)."""
        self.open()
        existing = self.store.lookup_job(spec.id)
        if existing is not None and existing.name == spec.signature:
            return True
        now = _aware(self._now())
        next_run = spec.trigger.get_next_fire_time(None, now)
        if next_run is None or now - next_run > spec.grace:
            if existing is not None:
                self.store.remove_job(spec.id)
            return False
        job = self._job(spec, next_run)
        if existing is None:
            self.store.add_job(job)
        else:
            self.store.update_job(job)
        self._wake()
        return True

    def remove(self, job_id: str) -> bool:
        self.open()
        if self.store.lookup_job(job_id) is None:
            return False
        self.store.remove_job(job_id)
        return True

    def reconcile(self, specs: list[JobSpec], *, prefix: str) -> tuple[int, int, int]:
        """Make the stored jobs whose id starts with `prefix` exactly `specs`: (added, changed, removed)."""
        self.open()
        existing = {job.id: job for job in self.store.get_all_jobs() if job.id.startswith(prefix)}
        added = changed = 0
        for spec in specs:
            old = existing.pop(spec.id, None)
            if old is not None and old.name == spec.signature:
                continue
            if self.put(spec):
                added += old is None
                changed += old is not None
        for job_id in existing:
            self.store.remove_job(job_id)
        return added, changed, len(existing)

    def jobs(self, prefix: str = "") -> list[tuple[str, datetime | None]]:
        self.open()
        return [(job.id, _naive(job.next_run_time) if job.next_run_time else None)
                for job in self.store.get_all_jobs() if job.id.startswith(prefix)]

    def next_due(self) -> datetime | None:
        self.open()
        due = self.store.get_next_run_time()
        return _naive(due) if due is not None else None

    # ----- running -----

    def fire_due(self) -> int:
        """Run the jobs due at the clock's now, as APScheduler would; how many runs happened."""
        if self.real:
            return 0
        self.open()
        now = _aware(self._now())
        runs = 0
        # jobs due at the same moment run in id order: the same on SQLite and PostgreSQL
        for job in sorted(self.store.get_due_jobs(now), key=lambda j: (j.next_run_time, j.id)):
            run_times = job._get_run_times(now)  # APScheduler's own scheduler loop uses it the same way
            if run_times and job.coalesce:
                run_times = run_times[-1:]
            for run_time in run_times:
                late = now - run_time
                if job.misfire_grace_time is not None and late > timedelta(seconds=job.misfire_grace_time):
                    log.warning('Run time of job "%s" was missed by %s: skipped', job.id, late)
                    continue
                try:
                    job.func(*job.args, **job.kwargs)
                    runs += 1
                except Exception:
                    log.exception("job %s failed", job.id)
            following = job.trigger.get_next_fire_time(run_times[-1] if run_times else None, now)
            if following is None:
                self.store.remove_job(job.id)
            else:
                job._modify(next_run_time=following)
                self.store.update_job(job)
        return runs

    def start(self) -> None:
        """Hand the jobs to AsyncIOScheduler (call on the service's running loop). Its executor runs
        a plain function in a worker thread; the bot's core runs on the loop's thread only, so the
        runner hops back onto the loop."""
        import asyncio

        self.open()
        loop = asyncio.get_running_loop()
        handler, gate = self._handler, self.gate
        if gate is not None:
            from bot.cluster.fence import leader_work

            def fenced(kind: str, ref: str) -> None:
                if not gate():
                    log.warning("job %s:%s not run: this instance no longer leads", kind, ref)
                    return
                with leader_work():
                    handler(kind, ref)
            handler = fenced
        _RUNNERS[self._key] = lambda kind, ref: loop.call_soon_threadsafe(handler, kind, ref)
        self.scheduler.gate = gate
        self.scheduler.start()
        self.real = True
        self.started = True

    def _wake(self) -> None:
        if self.started:  # a running AsyncIOScheduler sleeps until its next known job: tell it
            self.scheduler.wakeup()
