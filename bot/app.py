"""build_app(settings): wires the whole bot. Nothing happens at import time."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from pathlib import Path

from bot.channels.base import Channel
from bot.clock import Clock, SystemClock
from bot.dispatcher import Dispatcher
from bot.handlers.help import help_command
from bot.handlers.quiz import quiz_commands
from bot.handlers.ranking import ranking_commands
from bot.messages import Incoming, Outgoing
from bot.router import Router
from bot.services.contests import ContestService
from bot.services.catalog import Catalog
from bot.services.daily import DailyService
from bot.services.directory import Directory
from bot.services.practice import PracticeService
from bot.settings import Settings
from bot.storage.db import Database
from bot.timers import Timers
from quizzes.bank_yaml import BUNDLED_BANK_DIR, BankProblem, load_banks
from quizzes.scoring import ScoringRules

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
    channels: dict[str, Channel] = field(default_factory=dict)

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.name] = channel

    def handle(self, incoming: Incoming) -> list[Outgoing]:
        return self.dispatcher.handle(incoming)

    def deliver(self, messages: list[Outgoing]) -> None:
        for message in messages:
            channel = self.channels.get(message.chat.channel)
            if channel is None:
                log.error("no channel %r to deliver to; message dropped: %.40s", message.chat.channel, message.text)
                continue
            channel.send(message)

    def start(self) -> None:
        """Create or upgrade the schema and resume contests that were running."""
        self.db.create_schema()
        self.db.start_checkpointer()
        for problem in self.bank_problems:
            log.info("bank not loaded: %s", problem)  # the CLI tells the user in Chinese
        default = self.settings.quizzes.default_bank
        self.catalog.refresh()
        if default and default not in self.catalog:
            log.warning("quizzes.default_bank %r is not a loaded bank; banks: %s", default,
                        ", ".join(b.name for b in self.catalog.banks()))
        self.deliver(self.contests.resume(self.clock.now()))
        self.fire_due_timers()  # deadlines that passed while the bot was down

    def fire_due_timers(self) -> int:
        fired = 0
        while self.timers.fire_next(self.clock.now()):
            fired += 1
        return fired

    def close(self) -> None:
        self.db.dispose()


def bank_dirs(settings: Settings) -> list[Path]:
    bundled = [BUNDLED_BANK_DIR] if settings.quizzes.sample_bank else []
    return [*bundled, *settings.quizzes.bank_dirs]


def build_app(settings: Settings, *, clock: Clock | None = None, seed: int | None = None) -> App:
    clock = clock or SystemClock()
    rng = random.Random(seed)
    db = Database(settings.database.url)
    banks, problems = load_banks(bank_dirs(settings))
    catalog = Catalog(db=db, file_banks=banks, default_bank=settings.quizzes.default_bank,
                      broken_files=len({p.file for p in problems}))
    timers = Timers()
    scoring = settings.scoring
    rules = ScoringRules(base_points=scoring.base_points, full_points_within=scoring.full_points_within,
                         min_factor=scoring.min_factor, streak_bonus=scoring.streak_bonus,
                         streak_bonus_max=scoring.streak_bonus_max, wrong_points=scoring.wrong_points,
                         daily_points=scoring.daily_points)
    quiz = settings.quizzes
    app_ref: list[App] = []
    contests = ContestService(
        db=db, catalog=catalog, timers=timers, rules=rules, rng=rng,
        deliver=lambda messages: app_ref[0].deliver(messages), default_count=quiz.questions_per_contest,
        max_count=quiz.max_questions, default_limit=quiz.time_limit,
        acknowledge=quiz.acknowledge_answers, now=clock.now)
    daily = DailyService(catalog=catalog, points=scoring.daily_points, salt=seed or 0)
    practice = PracticeService(catalog=catalog, points=scoring.practice_points)
    commands = quiz_commands(contests, daily, practice) + ranking_commands()
    commands.append(help_command(commands, settings.bot.name))
    directory = Directory(branch_for_group=settings.branch_for_group, on_roster_change=contests.roster_changed)
    router = Router(commands)
    dispatcher = Dispatcher(db=db, router=router, contests=contests, daily=daily, practice=practice,
                            directory=directory,
                            clock=clock)
    app = App(settings, clock, db, catalog, problems, timers, contests, dispatcher, router)
    app_ref.append(app)
    return app
