"""The moments of a contest that every group sees, told to whoever listens besides the chats: a question opened,
a question revealed (with the next question or the results), a 全委竞赛's branch standings. Channel-neutral: the
live contest page (bot/web/h5/contest*.py) listens, wired in by the web side; the core imports nothing of it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.services.contests.running import RunningContest
from quizzes.contest import Reveal
from quizzes.standings import BranchStanding

__all__ = ["ContestStep", "StepHub"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ContestStep:
    kind: str  # "question" (the first one opened), "reveal" (and the next question, or the results), "standings"
    running: RunningContest
    reveal: Reveal | None = None
    ended_early: bool = False
    standings: tuple[BranchStanding, ...] = ()  # "standings": every branch, best first
    own_branch: str = ""


class StepHub:
    """Listeners of the contest steps. A listener that fails is logged and never stops the contest."""

    def __init__(self) -> None:
        self._listeners: list[Callable[[ContestStep], None]] = []

    def listen(self, listener: Callable[[ContestStep], None]) -> None:
        self._listeners.append(listener)

    def publish(self, step: ContestStep) -> None:
        for listener in self._listeners:
            try:
                listener(step)
            except Exception:
                log.exception("a contest step listener failed (contest %s)", step.running.contest_id)
