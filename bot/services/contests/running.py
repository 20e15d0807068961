"""The contests under way: one per group, with what each keeps between one answer and the next."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from bot.messages import Chat
from quizzes.contest import Contest

__all__ = ["RunningContest", "RunningContests"]


@dataclass
class RunningContest:
    contest_id: int
    contest: Contest
    chat: Chat
    branch_id: int | None
    told_twice: set[int] = field(default_factory=set)  # members told that only their first answer counts
    # who of the group's own branch answered the open question: when all of them have,
    # the question closes early (a guest from another branch does not count)
    branch_answered: set[int] = field(default_factory=set)

    def question_key(self, index: int | None = None) -> str:
        """What names a question of this contest on the wire ("contest:12:q0"): cards, reveals, the outbox."""
        return f"contest:{self.contest_id}:q{self.contest.index if index is None else index}"

    def next_question(self) -> None:
        """The open question closed: what was remembered about it goes."""
        self.told_twice.clear()
        self.branch_answered.clear()


class RunningContests:
    """Group id → its running contest. In memory, for speed: every answer reads it; the database holds
    the same state, so `clear` and a reload (ContestService.resume) lose nothing."""

    def __init__(self) -> None:
        self._by_group: dict[int, RunningContest] = {}

    def get(self, group_id: int) -> RunningContest | None:
        return self._by_group.get(group_id)

    def __contains__(self, group_id: int) -> bool:
        return group_id in self._by_group

    def add(self, group_id: int, running: RunningContest) -> None:
        self._by_group[group_id] = running

    def remove(self, group_id: int) -> None:
        self._by_group.pop(group_id, None)

    def group_ids(self) -> Iterator[int]:
        return iter(list(self._by_group))

    def clear(self) -> None:
        self._by_group.clear()
