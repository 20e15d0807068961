"""A large question's points, written after its reveal, in parts, while members are not answering in numbers.

Writing a question's points costs about 0.1 ms per answer (the ledger row and eleven running totals each): 10,000
answers of a WeChat branch's live page held the service's one loop for a second at the deadline, so the next
question reached the pages a second after it had started, and every answer sent meanwhile waited. A question with
more than LATER_ABOVE answers is therefore revealed first and its points are owed: they follow in parts of PART
answers, each a transaction of its own, GAP apart, each when the service is not busy with answers (a look that finds
more than QUIET new answers since the last waits for the next; after PATIENCE such looks one part goes anyway, so
steady traffic slows the parts but never stops them). A contest's owed questions are written in the order they
closed; a question that closes while its contest still owes points, however small, queues behind them, so the
ledger and its caps see the questions in order. A smaller question with nothing owed before it is settled with its
reveal, in one transaction, as before (its reveal names who reached the day's cap; an owed question's group is told
in a line of its own once its last part is written).

Nothing is lost or counted twice. The close that first owes a contest's points marks the contest as counting its
settled questions (contest.settled, as a 全委竞赛's parts do); each question's last part counts its statistics and
错题本 and marks it settled. A restart (or a failed commit, which reloads the contests) finds the owed questions
unsettled and writes them from the stored answers (records.settle_stored): the points already written are looked up,
not written again."""

from __future__ import annotations

import logging
from collections import deque
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

__all__ = ["LaterSettlement", "LATER_ABOVE", "PART", "GAP", "QUIET", "PATIENCE"]

log = logging.getLogger(__name__)

LATER_ABOVE = 500  # answers: a question with more is settled after its reveal (500 take ~50 ms with it)
PART = 500  # answers whose points one transaction writes (~50 ms of the loop)
GAP = timedelta(seconds=0.2)  # between the looks for a quiet moment (the service's timer tick)
QUIET = 50  # new answers to any contest since the last look (250 a second) at most, for a part to go
PATIENCE = 25  # looks that found the service busy (~5 s), after which a part goes anyway


@dataclass
class _Owed:
    running: RunningContest
    reveal: Reveal
    at: datetime
    done: int = 0  # answers whose points are written
    reached: dict[int, Reached] = field(default_factory=dict)


@dataclass
class _Queue:
    """A contest's owed questions, oldest first, and its looks for a quiet moment."""
    owed: deque[_Owed] = field(default_factory=deque)
    answers_seen: int = 0  # LaterSettlement.answers at the last look
    waited: int = 0  # looks in a row that found the service busy
    looks: int = 0


class LaterSettlement:
    """`cap_note(reveal, reached)`: the line naming who reached a cap (ContestService._cap_note); `send`: how that
    line reaches the group; `reload`: the contests read back from the database (ContestService.forget_all), after a
    part failed to commit."""

    def __init__(self, *, db: Database, deadlines: Deadlines, points: PointsRules,
                 cap_note: Callable[[Reveal, dict[int, Reached]], str], send: Callable[[list[Outgoing]], None],
                 now: Callable[[], datetime], reload: Callable[[], None]) -> None:
        self._db, self._deadlines, self._points, self._cap_note, self._send = db, deadlines, points, cap_note, send
        self._now, self._reload = now, reload
        self._queues: dict[int, _Queue] = {}  # contest id -> its owed questions
        self._generation = 0  # looks armed before a `forget` find nothing of theirs
        self.answers = 0  # answers to any contest so far: the parts wait while it grows fast

    def settle(self, session: Session, running: RunningContest, reveal: Reveal, now: datetime
               ) -> dict[int, Reached]:
        """A closed question of a contest (not a 全委竞赛's part), in the close's transaction: settled now, or owed
        (large, or behind owed ones). Who reached a cap with it now ({} when owed: the group is told later)."""
        queue = self._queues.get(running.contest_id)
        if queue is None and len(reveal.answers) <= LATER_ABOVE:
            reached = settle(session, running, reveal, now, self._points)
            if running.settled_counted:  # an earlier question was owed: the count goes on
                mark_settled(session=session, contest_id=running.contest_id, settled=reveal.number)
            return reached
        if not running.settled_counted:  # every question before this one was settled with its reveal
            running.settled_counted = True
            mark_settled(session=session, contest_id=running.contest_id, settled=reveal.number - 1)
        if queue is None:
            queue = self._queues[running.contest_id] = _Queue(answers_seen=self.answers)
            self._arm(running.contest_id, queue)
        queue.owed.append(_Owed(running, reveal, now))
        return {}

    def forget(self) -> None:
        """The contests are dropped or reloaded: what is owed is written from the stored answers at their start."""
        self._queues.clear()
        self._generation += 1

    def _arm(self, contest_id: int, queue: _Queue) -> None:
        """The next look GAP from now (not from when the last was due: a late tick must not run parts back to
        back)."""
        queue.looks += 1
        generation = self._generation
        self._deadlines.arm_later(f"settle:{contest_id}:{generation}:{queue.looks}", self._now() + GAP,
                                  lambda: self._look(contest_id, generation))

    def _look(self, contest_id: int, generation: int) -> None:
        queue = self._queues.get(contest_id)
        if queue is None or generation != self._generation:
            return
        busy, queue.answers_seen = self.answers - queue.answers_seen > QUIET, self.answers
        if busy and queue.waited < PATIENCE:  # members are answering in numbers: later
            queue.waited += 1
            self._arm(contest_id, queue)
            return
        queue.waited = 0
        owed = queue.owed[0]
        upto = min(owed.done + PART, len(owed.reveal.answers))
        try:
            with self._db.session() as session:
                self._write(session, owed, upto)
                session.commit()
        except Exception:
            # nothing of this part is kept. Going on would let the contest's next small question be settled and
            # counted past the owed ones, so the contests are read back now: that writes the owed questions from
            # their stored answers (records.settle_stored), or, with the database still failing, at the next try
            log.exception("writing the points of question %d of contest %s failed; the contests are reloaded",
                          owed.reveal.number, contest_id)
            self._reload()
            return
        if owed.done == len(owed.reveal.answers):
            queue.owed.popleft()
            self._send(self._told(owed))
        if queue.owed:
            self._arm(contest_id, queue)
        else:
            del self._queues[contest_id]

    def _write(self, session: Session, owed: _Owed, upto: int) -> None:
        answers = list(owed.reveal.answers[owed.done:upto])
        owed.reached |= award_answers(session, owed.running, owed.reveal, answers, owed.at, self._points)
        owed.done = upto
        if upto == len(owed.reveal.answers):
            count_answers(session, owed.running, owed.reveal, owed.at)
            mark_settled(session=session, contest_id=owed.running.contest_id, settled=owed.reveal.number)

    def _told(self, owed: _Owed) -> list[Outgoing]:
        note = self._cap_note(owed.reveal, owed.reached).strip()
        return [Outgoing(owed.running.chat, note)] if note else []
