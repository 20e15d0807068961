"""The contest state machine: one group, N questions, one question open at a time.

Pure: the caller passes the clock reading and the random generator, persists what
`submit` and `close_question` return, and rebuilds a running contest with `restore`."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum

from quizzes.grading import judge, read_answer
from quizzes.model import Bank, Question
from quizzes.scoring import ScoringRules, points_for

__all__ = ["Contest", "AnswerRecord", "Outcome", "Submission", "Reveal", "draw_questions", "Standing"]


class Outcome(Enum):
    ACCEPTED = "accepted"
    NOT_AN_ANSWER = "not_an_answer"
    ALREADY_ANSWERED = "already_answered"
    CLOSED = "closed"


@dataclass(frozen=True)
class AnswerRecord:
    member_id: int
    name: str
    answer: str
    correct: bool
    points: int
    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class Submission:
    outcome: Outcome
    record: AnswerRecord | None = None  # ACCEPTED: the new answer; ALREADY_ANSWERED: the first one


@dataclass(frozen=True)
class Reveal:
    number: int  # 1-based
    question: Question
    answers: tuple[AnswerRecord, ...]

    @property
    def correct(self) -> tuple[AnswerRecord, ...]:
        return tuple(a for a in self.answers if a.correct)


@dataclass(frozen=True)
class Standing:
    rank: int
    member_id: int
    name: str
    points: int


def draw_questions(bank: Bank, count: int, rng: random.Random) -> tuple[Question, ...]:
    """`count` distinct questions (fewer if the bank is smaller), in random order."""
    return tuple(rng.sample(list(bank.questions), min(count, len(bank.questions))))


@dataclass
class Contest:
    group_key: str
    bank: str
    questions: tuple[Question, ...]
    time_limit: int
    started_by: int
    question_started_at: datetime
    index: int = 0
    finished: bool = False
    answers: dict[int, AnswerRecord] = field(default_factory=dict)  # current question only
    totals: dict[int, int] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    streaks: dict[int, int] = field(default_factory=dict)
    correct_counts: dict[int, int] = field(default_factory=dict)

    @property
    def current(self) -> Question:
        return self.questions[self.index]

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def is_last(self) -> bool:
        return self.index == len(self.questions) - 1

    def limit_for(self, question: Question) -> int:
        return question.time_limit or self.time_limit

    @property
    def deadline(self) -> datetime:
        return self.question_started_at + timedelta(seconds=self.limit_for(self.current))

    def submit(self, member_id: int, name: str, text: str, now: datetime, rules: ScoringRules) -> Submission:
        if self.finished or now > self.deadline:
            return Submission(Outcome.CLOSED)
        question = self.current
        answer = read_answer(question, text)
        if answer is None:
            return Submission(Outcome.NOT_AN_ANSWER)
        if member_id in self.answers:
            return Submission(Outcome.ALREADY_ANSWERED, self.answers[member_id])
        verdict = judge(question, answer)
        elapsed = (now - self.question_started_at).total_seconds()
        points = points_for(rules, correct=verdict.correct, elapsed=elapsed,
                            time_limit=self.limit_for(question), streak=self.streaks.get(member_id, 0))
        record = AnswerRecord(member_id, name, verdict.given, verdict.correct, points, now, verdict.reason)
        self._record(record)
        return Submission(Outcome.ACCEPTED, record)

    def _record(self, record: AnswerRecord) -> None:
        self.answers[record.member_id] = record
        self.names[record.member_id] = record.name
        self.totals[record.member_id] = self.totals.get(record.member_id, 0) + record.points
        if record.correct:
            self.correct_counts[record.member_id] = self.correct_counts.get(record.member_id, 0) + 1

    def close_question(self, now: datetime) -> Reveal:
        """Close the open question and open the next one (or finish)."""
        reveal = Reveal(self.number, self.current,
                        tuple(sorted(self.answers.values(), key=lambda a: a.at)))
        for member_id in set(self.streaks) | set(self.answers):
            record = self.answers.get(member_id)
            self.streaks[member_id] = self.streaks.get(member_id, 0) + 1 if record and record.correct else 0
        self.answers = {}
        if self.is_last:
            self.finished = True
        else:
            self.index += 1
            self.question_started_at = now
        return reveal

    def finish(self) -> Reveal | None:
        """End early: the open question is revealed (answers already given to it count)."""
        if self.finished:
            return None
        self.finished = True
        return Reveal(self.number, self.current, tuple(sorted(self.answers.values(), key=lambda a: a.at)))

    def standings(self) -> list[Standing]:
        """Participants by points; equal points share a rank (1, 1, 3)."""
        ordered = sorted(self.totals.items(), key=lambda kv: (-kv[1], self.names.get(kv[0], "")))
        table: list[Standing] = []
        for position, (member_id, points) in enumerate(ordered, start=1):
            rank = table[-1].rank if table and table[-1].points == points else position
            table.append(Standing(rank, member_id, self.names.get(member_id, ""), points))
        return table

    @classmethod
    def restore(cls, *, group_key: str, bank: str, questions: tuple[Question, ...], time_limit: int,
                started_by: int, index: int, question_started_at: datetime, finished: bool,
                history: list[tuple[int, AnswerRecord]]) -> Contest:
        """Rebuild a contest from its stored answers (question index, record), in answer order."""
        contest = cls(group_key, bank, questions, time_limit, started_by, question_started_at,
                      index=index, finished=finished)
        by_question: dict[int, list[AnswerRecord]] = {}
        for q_index, record in history:
            if not record.correct and not record.reason and q_index < len(questions):
                # reasons are not stored: judge the stored answer again to have them for the reveal
                record = replace(record, reason=judge(questions[q_index], record.answer).reason)
            by_question.setdefault(q_index, []).append(record)
        for q_index in range(index):
            for record in by_question.get(q_index, []):
                contest._record(record)
            right = {r.member_id for r in by_question.get(q_index, []) if r.correct}
            for member_id in set(contest.totals):
                contest.streaks[member_id] = contest.streaks.get(member_id, 0) + 1 if member_id in right else 0
        contest.answers = {}
        for record in by_question.get(index, []):
            contest._record(record)
        return contest
