"""A large question's points, written after its reveal, in parts, while members are not answering in numbers.

Writing a question's points costs about 0.1 ms per answer (the ledger row and eleven running totals each): 10,000
answers of a WeChat branch's live page held the service's one loop for a second at the deadline, so the reveal and
the next question reached the pages late and every answer sent meanwhile waited. A question with more than
LATER_ABOVE answers is therefore revealed first; its points follow in parts of PART answers, each a transaction of its
own, GAP apart, each when the service is not busy with answers: a look that finds more than QUIET new answers since
the last (most come in the first seconds of a question) waits for the next. Should the answers not slow down before
the next close, that close writes what is left, as a question's close always did. A smaller question is settled
with its reveal, in one transaction, as before (its reveal names who reached the day's cap; here the group is told
in a line of its own once the last part is written).

Nothing is lost or counted twice. The close that reveals the question also marks the contest as counting its
settled questions (contest.settled, as a 全委竞赛's parts do); the last part counts the question's statistics and
错题本 and marks it settled. A close, 结束竞赛 or 下一题 that comes before the parts are done writes what is left first,
in its transaction. A restart (or a failed commit, which reloads the contests) finds the question unsettled and
writes it from the stored answers (records.settle_stored): the points already written are looked up, not written
again."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.messages import Outgoing
from bot.services.contests.deadlines import Deadlines
from bot.services.contests.records import award_answers, count_answers, settle
from bot.services.contests.running import RunningContest
from bot.storage.contests import mark_settled
from bot.storage.db import Database
from bot.storage.points import Reached
from quizzes.contest import Reveal
from scheduler.points import PointsRules

__all__ = ["LaterSettlement", "LATER_ABOVE", "PART", "GAP", "QUIET"]

log = logging.getLogger(__name__)

LATER_ABOVE = 500  # answers: a question with more is settled after its reveal (500 take ~50 ms with it)
PART = 500  # answers whose points one transaction writes (~50 ms of the loop)
GAP = timedelta(seconds=0.2)  # between the parts, or the looks for a quiet moment (the service's timer tick)
QUIET = 50  # new answers to any contest since the last look (250 a second) at most, for a part to run


@dataclass
class _Owed:
    running: RunningContest
    reveal: Reveal
    at: datetime
    done: int = 0  # answers whose points are written
    reached: dict[int, Reached] = field(default_factory=dict)
    answers_seen: int = -1  # LaterSettlement.answers at the last look


class LaterSettlement:
    """`cap_note(reveal, reached)`: the line naming who reached a cap (ContestService._cap_note); `send`: how that
    line reaches the group."""

    def __init__(self, *, db: Database, deadlines: Deadlines, points: PointsRules,
                 cap_note: Callable[[Reveal, dict[int, Reached]], str], send: Callable[[list[Outgoing]], None],
                 now: Callable[[], datetime]) -> None:
        self._db, self._deadlines, self._points, self._cap_note, self._send = db, deadlines, points, cap_note, send
        self._now = now
        self._owed: dict[int, _Owed] = {}  # contest id -> the question whose points are being written
        self.answers = 0  # answers to any contest so far: the parts wait while it grows fast

    @staticmethod
    def wanted(reveal: Reveal) -> bool:
        return len(reveal.answers) > LATER_ABOVE

    def settle_now(self, session: Session, running: RunningContest, reveal: Reveal, now: datetime
                   ) -> dict[int, Reached]:
        """A question settled with its reveal, in its transaction; who reached a cap with it."""
        reached = settle(session, running, reveal, now, self._points)
        if running.settled_counted:  # a 全委竞赛's part stopped, or an earlier question was settled after its reveal
            mark_settled(session=session, contest_id=running.contest_id, settled=reveal.number)
        return reached

    def defer(self, session: Session, running: RunningContest, reveal: Reveal, now: datetime) -> None:
        """In the reveal's transaction: the question is owed; its parts are written from `now` + GAP."""
        running.settled_counted = True
        mark_settled(session=session, contest_id=running.contest_id, settled=reveal.number - 1)
        self._owed[running.contest_id] = owed = _Owed(running, reveal, now, answers_seen=self.answers)
        self._arm(owed, 0)

    def catch_up(self, session: Session, running: RunningContest) -> list[Outgoing]:
        """In the transaction of a step that comes before the parts are done: what is left of the owed question;
        the line for the group, if it names who reached a cap (sent by the caller after its commit)."""
        owed = self._owed.pop(running.contest_id, None)
        if owed is None:
            return []
        self._write(session, owed, len(owed.reveal.answers))
        return self._told(owed)

    def forget(self) -> None:
        """The contests are dropped or reloaded: what is owed is written from the stored answers at their start."""
        self._owed.clear()

    def _arm(self, owed: _Owed, look: int) -> None:
        """The next look `GAP` from now (not from when the last was due: a late tick must not run parts back to
        back)."""
        contest_id, number = owed.running.contest_id, owed.reveal.number
        self._deadlines.arm_later(f"settle:{contest_id}:{number}:{look}", self._now() + GAP,
                                  lambda: self._part(contest_id, number, look))

    def _part(self, contest_id: int, number: int, look: int) -> None:
        owed = self._owed.get(contest_id)
        if owed is None or owed.reveal.number != number:  # written by a later step, or dropped with the contests
            return
        busy, owed.answers_seen = self.answers - owed.answers_seen > QUIET, self.answers
        if busy:  # members are answering in numbers: later
            self._arm(owed, look + 1)
            return
        upto = min(owed.done + PART, len(owed.reveal.answers))
        try:
            with self._db.session() as session:
                self._write(session, owed, upto)
                session.commit()
        except Exception:  # nothing of this part is kept: the next start writes the question from the answers
            log.exception("writing the points of question %d of contest %s failed; they are written at the next "
                          "start", number, contest_id)
            self._owed.pop(contest_id, None)
            return
        if owed.done < len(owed.reveal.answers):
            self._arm(owed, look + 1)
            return
        self._owed.pop(contest_id, None)
        self._send(self._told(owed))

    def _write(self, session: Session, owed: _Owed, upto: int) -> None:
        # PART at a time even when a close writes all that is left: the statements' rows for 10,000 answers at once
        # took ~30 MB more of the service's memory (bench/h5.py)
        for start in range(owed.done, upto, PART):
            answers = list(owed.reveal.answers[start:min(start + PART, upto)])
            owed.reached |= award_answers(session, owed.running, owed.reveal, answers, owed.at, self._points)
        owed.done = upto
        if upto == len(owed.reveal.answers):
            count_answers(session, owed.running, owed.reveal, owed.at)
            mark_settled(session=session, contest_id=owed.running.contest_id, settled=owed.reveal.number)

    def _told(self, owed: _Owed) -> list[Outgoing]:
        note = self._cap_note(owed.reveal, owed.reached).strip()
        return [Outgoing(owed.running.chat, note)] if note else []
