"""法定人数: a 支部党员大会 needs at least half of its 正式党员 (those with a vote) present, a 支部委员会会议 at
least half of its 委员; below that the meeting is 不足法定人数 and what it voted is not valid. Exactly half is
enough (党内法规 count 「半数以上」 inclusive). Other meeting types have no quorum.

Pure: the expected attendees (frozen when the meeting started) and who was present are passed in."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from scheduler.meetings.attendees import Person

__all__ = ["QUORUM_TYPES", "Quorum", "quorum", "quorum_problem"]

# type key -> who counts toward the quorum, as the message names them
QUORUM_TYPES = {"general_assembly": "正式党员", "committee": "支部委员"}
_VOTERS = ("full", "")  # a 预备党员 has no vote; "" (no 党员类别 in the roster) counts as 正式


@dataclass(frozen=True)
class Quorum:
    voters: int  # who count toward the quorum (应到)
    present: int  # of them, present (实到)
    label: str  # 正式党员 or 支部委员

    @property
    def met(self) -> bool:
        return self.present * 2 >= self.voters

    def problem(self) -> str | None:
        if self.met:
            return None
        return (f"不足法定人数：应到{self.label} {self.voters} 人，实到 {self.present} 人，未达半数，"
                "会议表决无效")


def quorum(type_key: str, expected: Iterable[Person], present: Collection[int]) -> Quorum | None:
    """The quorum count of a meeting of `type_key`; None for a type without one or nobody to count."""
    label = QUORUM_TYPES.get(type_key)
    if label is None:
        return None
    voters = [p for p in expected if type_key != "general_assembly" or p.category in _VOTERS]
    if not voters:
        return None
    return Quorum(len(voters), sum(p.id in present for p in voters), label)


def quorum_problem(type_key: str, expected: Iterable[Person], present: Collection[int]) -> str | None:
    """「不足法定人数：应到正式党员 9 人，实到 4 人，未达半数，会议表决无效」, or None when the quorum is met (or the
    type has none)."""
    counted = quorum(type_key, expected, present)
    return counted.problem() if counted is not None else None
