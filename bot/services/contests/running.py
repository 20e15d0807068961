"""The contests running now, one per group, and what each remembers between answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from bot.messages import Chat
from quizzes.contest import Contest, Reveal

__all__ = ["RunningContest", "RunningContests", "QuestionRef", "parse_question_key"]

_KEY = re.compile(r"^contest:([0-9]{1,12}):q([0-9]{1,4})$")


@dataclass(frozen=True)
class QuestionRef:
    contest_id: int
    index: int


def parse_question_key(key: str | None) -> QuestionRef | None:
    """`contest:12:q0` → (12, 0); None for anything else (a forged or foreign card key)."""
    match = _KEY.match(key or "")
    return QuestionRef(int(match[1]), int(match[2])) if match else None


@dataclass
class RunningContest:
    contest_id: int
    contest: Contest
    chat: Chat
    branch_id: int | None
    scored: bool = True  # False: a 练习赛, whose points go to no ledger
    round_id: int | None = None  # part of a 全委竞赛: its questions close together, never early
    told_twice: set[int] = field(default_factory=set)  # members told that only their first answer counts
    # who of the members the roster puts in the group's branch answered the open question: when all of them
    # have, the question closes early (a guest from another branch, or someone not on the roster, does not count)
    expected_answered: set[int] = field(default_factory=set)
    progress_told: bool = False  # the open question's progress line went to the group
    # a 全委竞赛's part: questions closed and revealed whose points are not written yet (RoundService writes them
    # right after the reveals have gone out), and how many are written
    pending: list[tuple[Reveal, datetime]] = field(default_factory=list)
    settled: int = 0
    # whether the row counts its settled questions (contest.settled not NULL): a 全委竞赛's part, and a contest one
    # of whose questions was settled after its reveal (settle_later.py); every close then counts its question
    settled_counted: bool = False

    def question_key(self, index: int | None = None) -> str:
        """What names a question of this contest on the wire ("contest:12:q0"): cards, reveals, the outbox."""
        return f"contest:{self.contest_id}:q{self.contest.index if index is None else index}"

    def next_question(self) -> None:
        """The open question closed: what was remembered about it goes."""
        self.told_twice.clear()
        self.expected_answered.clear()
        self.progress_told = False


class RunningContests:
    """Group id → its running contest. In memory, for speed: every answer reads it; the database holds
    the same state, so `clear` and a reload (ContestService.resume) lose nothing."""

    def __init__(self) -> None:
        self._by_group: dict[int, RunningContest] = {}
        self._by_id: dict[int, RunningContest] = {}

    def get(self, group_id: int) -> RunningContest | None:
        return self._by_group.get(group_id)

    def __contains__(self, group_id: int) -> bool:
        return group_id in self._by_group

    def by_id(self, contest_id: int) -> RunningContest | None:
        return self._by_id.get(contest_id)

    def add(self, group_id: int, running: RunningContest) -> None:
        self._by_group[group_id] = running
        self._by_id[running.contest_id] = running

    def remove(self, group_id: int) -> None:
        running = self._by_group.pop(group_id, None)
        if running is not None:
            self._by_id.pop(running.contest_id, None)

    def group_ids(self) -> Iterator[int]:
        return iter(list(self._by_group))

    def clear(self) -> None:
        self._by_group.clear()
        self._by_id.clear()
