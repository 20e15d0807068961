"""build_app(settings): wires the whole bot. Nothing happens at import time."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.channels.base import Channel
from bot.clock import Clock, SystemClock
from bot.dispatcher import Dispatcher
from bot.handlers.help import help_command
from bot.handlers.meetings import meeting_commands
from bot.handlers.minutes import minutes_command, route_minutes
from bot.handlers.points import manual_points_commands
from bot.handlers.quiz import parse_start, quiz_catchers, quiz_commands
from bot.handlers.ranking import ranking_commands
from bot.handlers.rounds import round_command
from bot.handlers.study import study_commands
from bot.handlers.web_login import web_commands
from bot.ingress import Ingress
from bot.jobs.schedule import Schedule, build_schedule
from bot.messages import Incoming, Outgoing
from bot.router import Router
from bot.services.catalog import Catalog
from bot.services.contests import ContestService
from bot.services.contests.deadlines import Deadlines
from bot.services.contests.options import ContestOptions
from bot.services.contests.planned import RoundOrder, start_planned, start_round
from bot.services.contests.rounds import RoundService
from bot.services.context import Context
from bot.services.daily import DailyService
from bot.services.directory import Directory
from bot.services.manual_points import ManualPoints
from bot.services.minutes import MinutesService
from bot.services.practice import PracticeService
from bot.settings import Settings
from bot.storage.db import Database
from bot.timers import Timers
from content.plans import PlanEntry
from quizzes.bank_yaml import BUNDLED_BANK_DIR, BankProblem, load_banks
from quizzes.scoring import ScoringRules

if TYPE_CHECKING:
    from bot.cluster.node import ClusterNode

__all__ = ["App", "build_app"]

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    clock: Clock
    db: Database
    catalog: Catalog
    bank_problems: list[BankProblem]
    timers: Timers
    contests: ContestService
    dispatcher: Dispatcher
    router: Router
    schedule: Schedule
    channels: dict[str, Channel] = field(default_factory=dict)
    rounds: RoundService | None = None
    daily: DailyService | None = None  # 每日一题 and 错题练习: the members' pages (bot/web/h5/) use the same services
    practice: PracticeService | None = None
    cluster: ClusterNode | None = None  # several instances on PostgreSQL (`studybot run`): bot/cluster/
    # the platforms' messages in service, a few milliseconds' worth to a transaction (bot/ingress.py); transparent
    # (window 0) until `studybot run` opens the window, so scripts and tests see each message handled as it comes
    ingress: Ingress = field(init=False)

    def __post_init__(self) -> None:
        self.ingress = Ingress(self.handle_many, window=0)

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.name] = channel

    def handle(self, incoming: Incoming) -> list[Outgoing]:
        """One message in its own transaction, now; messages already waiting in the ingress go first."""
        self.ingress.flush()
        if self.cluster is not None:  # a standby hands it to the leader, who replies actively
            return self.cluster.handle(incoming, self.dispatcher.handle)
        return self.dispatcher.handle(incoming)

    async def receive(self, incoming: Incoming) -> list[Outgoing]:
        """A platform's message (the channels' door): its replies, after the commit that stored it. With the
        ingress open (studybot run) it shares a transaction with the messages arriving within a few milliseconds;
        closed (scripts, tests), it is handled at once by `handle`."""
        if self.ingress.window <= 0:
            return self.handle(incoming)
        return await self.ingress.handle(incoming)

    def receive_soon(self, incoming: Incoming) -> asyncio.Future[list[Outgoing]]:
        """`receive` for a caller that must not wait (a stream's reader): a future of the replies, resolved in
        the order the messages came."""
        if self.ingress.window <= 0:
            done: asyncio.Future[list[Outgoing]] = asyncio.get_running_loop().create_future()
            done.set_result(self.handle(incoming))
            return done
        return self.ingress.submit(incoming)

    def handle_many(self, incomings: list[Incoming]) -> list[list[Outgoing]]:
        """Several messages in one transaction: see Dispatcher.handle_many (the ingress's batches come here)."""
        if self.cluster is not None:  # the leader's batch is fenced; a standby hands the batch to the leader
            return self.cluster.handle_many(incomings, self.dispatcher.handle_many)
        return self.dispatcher.handle_many(incomings)

    def role(self) -> str:
        """For /readyz: "leader" or "standby" (`studybot run` on PostgreSQL, bot/cluster/), "single" (the one bot on
        a SQLite file), "web" (a process on PostgreSQL outside the cluster: `studybot web` serving the dashboard)."""
        if self.cluster is not None:
            return self.cluster.role
        return "single" if self.db.is_sqlite else "web"

    def send(self, messages: list[Outgoing]) -> None:
        """Hand each message to its channel (which queues it) and return at once."""
        hand_over(self.channels, messages)

    def start(self, *, service: bool = False, lead: bool = True) -> None:
        """Create or upgrade the schema and resume contests that were running. `service`: `studybot run`
        will hand the scheduled jobs to APScheduler and the outbox to its worker once the channels are
        up, so neither is run here (a push handed to a channel not yet started could be lost). `lead`:
        False for an instance of a cluster, which takes up the leader's work (`lead`) only when it leads."""
        self.db.create_schema()
        self.db.start_checkpointer()
        if self.settings.h5.branches:  # branches on WeChat: a virtual group each, for their contests
            from bot.services.h5_groups import ensure_groups

            with self.db.session() as session:
                ensure_groups(session, self.settings.h5.branches)
                session.commit()
        # what the admin must fix: the CLI prints it once, in Chinese (bot/cli/logs.py); -v shows these lines too
        for problem in self.bank_problems:
            log.info("bank not loaded: %s", problem)
        default = self.settings.quizzes.default_bank
        self.catalog.refresh()
        if default and default not in self.catalog:
            log.info("quizzes.default_bank %r is not a loaded bank; banks: %s", default,
                     ", ".join(b.name for b in self.catalog.banks()))
        for problem in self.schedule.problems:
            log.info("%s", problem)
        if service:
            self.schedule.jobs.real = True  # from here on APScheduler runs the jobs
        if lead:
            self.lead()

    def lead(self) -> None:
        """The leader's state: the jobs made to match the plans, the contests under way read back and their
        deadlines armed; deadlines that passed while no one led fire now."""
        self.schedule.reconcile()
        self.send(self.contests.resume(self.clock.now()))
        if self.rounds is not None:
            self.rounds.resume()  # after the groups' parts: the rounds' deadlines
        self.fire_due_timers()

    def drop_leader_state(self) -> None:
        """A leader stepping down forgets the contests under way and their timers (the next leader reads them)."""
        self.timers.clear()
        self.contests.drop_all()
        if self.rounds is not None:
            self.rounds.drop_all()

    def fire_due_timers(self) -> int:
        """Contest deadlines due now; then, unless APScheduler runs them (studybot run), the
        scheduled jobs due now and the outbox."""
        self.ingress.flush()  # an answer that came before the deadline counts before the question closes
        fired = 0
        while self.timers.fire_next(self.clock.now()):
            fired += 1
        if not self.schedule.jobs.real:
            fired += self.schedule.fire_due()
        return fired

    def next_due(self) -> datetime | None:
        """When something is next due: a contest deadline, a scheduled job or an outbox push."""
        times = [t for t in (self.timers.next_due(), self.schedule.next_due()) if t is not None]
        return min(times) if times else None

    def close(self) -> None:
        self.schedule.jobs.close()
        self.db.dispose()


def pg_connect_args(settings: Settings) -> dict[str, str]:
    """PostgreSQL: connections named after the instance (pg_stat_activity says whose they are); a transaction
    left open by a stopped process is ended by the server, so it cannot hold a fenced row's lock for ever."""
    idle = int(max(60.0, 4 * settings.cluster.lease_seconds) * 1000)
    return {"application_name": f"studybot:{settings.cluster.instance_name()}"[:63],
            "options": f"-c idle_in_transaction_session_timeout={idle}"}


def hand_over(channels: dict[str, Channel], messages: list[Outgoing]) -> None:
    for message in messages:
        channel = channels.get(message.chat.channel)
        if channel is None:
            log.error("no channel %r to send to; message dropped: %.40s", message.chat.channel, message.text)
            continue
        channel.send(message)


def bank_dirs(settings: Settings) -> list[Path]:
    bundled = [BUNDLED_BANK_DIR] if settings.quizzes.sample_bank else []
    return [*bundled, *settings.quizzes.bank_dirs]


def build_app(settings: Settings, *, clock: Clock | None = None, seed: int | None = None) -> App:
    clock = clock or SystemClock()
    rng = random.Random(seed)
    db = Database(settings.database.url, busy_timeout=settings.database.busy_timeout,
                  pg_connect_args=pg_connect_args(settings))
    banks, problems = load_banks(bank_dirs(settings))
    catalog = Catalog(db=db, file_banks=banks, default_bank=settings.quizzes.default_bank,
                      broken_files=len({p.file for p in problems}))
    channels: dict[str, Channel] = {}  # filled by add_channel once the channels are built

    def send(messages: list[Outgoing]) -> None:
        hand_over(channels, messages)

    timers = Timers()
    scoring = settings.scoring
    rules = ScoringRules(base_points=scoring.base_points, full_points_within=scoring.full_points_within,
                         min_factor=scoring.min_factor, streak_bonus=scoring.streak_bonus,
                         streak_bonus_max=scoring.streak_bonus_max, wrong_points=scoring.wrong_points)
    quiz = settings.quizzes
    directory = Directory(branch_for_group=settings.branch_for_group)
    options = ContestOptions(default_count=quiz.questions_per_contest, max_count=quiz.max_questions,
                             default_limit=quiz.time_limit,
                             acknowledge_up_to=quiz.acknowledge_up_to if quiz.acknowledge_answers else 0,
                             scored_by=frozenset(quiz.scored_by),
                             page_links=settings.web.address(settings.server.host, settings.server.port)
                             if settings.web.enabled and settings.h5.links_on() else "",
                             member_links=bool(settings.wechat_mp and settings.wechat_mp.link_template))
    deadlines = Deadlines(timers)
    points = settings.points.rules()
    contests = ContestService(db=db, catalog=catalog, deadlines=deadlines, rules=rules, rng=rng, send=send,
                              branch_count=directory.branch_count, options=options, now=clock.now, points=points)
    rounds = RoundService(db=db, contests=contests, deadlines=deadlines, branch_count=directory.branch_count,
                          send=send, now=clock.now)
    daily = DailyService(catalog=catalog, points=settings.points.daily, salt=seed or 0, rules=points)
    practice = PracticeService(catalog=catalog, points=settings.points.practice, rules=points)
    def plan_round(entry: PlanEntry, now: datetime) -> list[Outgoing]:
        spec = entry.contest
        assert spec is not None
        order = RoundOrder(spec.bank, spec.questions, spec.time_limit, by_plan=True)
        return start_round(rounds, db, channels.keys, order, now)

    def ordered_round(ref: str) -> None:
        send(start_round(rounds, db, channels.keys, RoundOrder.from_json(ref), clock.now()))

    schedule = build_schedule(settings, db=db, clock=clock, channels=lambda: channels,
                              start_contest=functools.partial(start_planned, contests, db, settings.branch_for_group),
                              send=send, start_round=plan_round, order_round=ordered_round)
    minutes = MinutesService(meetings=schedule.meetings)
    sections = [("竞赛", quiz_commands(contests, daily, practice, catalog)
                 + [round_command(rounds, parse_args=lambda args: parse_start(args, catalog.__contains__),
                                  channels=lambda: list(channels))]),
                ("积分", ranking_commands(rules=points) + manual_points_commands(ManualPoints(points))),
                ("学习", study_commands(schedule.study, schedule.pushes, _after_commit)),
                ("会议", meeting_commands(schedule.meetings, schedule.attendance, _after_commit)
                 + [minutes_command(minutes)]),
                ("管理", web_commands(settings.web, settings.web.address(settings.server.host, settings.server.port)))]
    commands = [command for _, group in sections for command in group]
    commands.append(help_command(sections, settings.bot.name))
    router = Router(commands)
    for catcher in quiz_catchers(contests, daily, practice, router.suggest):
        router.catch(catcher)
    route_minutes(router, minutes)

    def forget_all() -> None:
        contests.forget_all()
        rounds.forget_all()

    dispatcher = Dispatcher(db=db, router=router, directory=directory, clock=clock, on_rollback=forget_all)
    return App(settings, clock, db, catalog, problems, timers, contests, dispatcher, router, schedule, channels,
               rounds=rounds, daily=daily, practice=practice)


def _after_commit(ctx: Context, then: Callable[[], str]) -> str:
    """Commit the message's transaction now, then run `then` (which writes the job store: SQLite
    takes one writer at a time, so it must not wait behind our own open transaction)."""
    ctx.session.commit()
    return then() or ""
