"""Persistence of contests and their answers."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import case, update
from sqlmodel import Session, col, select

from bot.storage import deferred
from bot.storage.fast import DriverStatement
from bot.storage.models import ContestAnswer, ContestRow, Member
from bot.storage.points import Reached, award_many
from quizzes.contest import AnswerRecord, Contest
from scheduler.points import Cap, Category

# Runs once per answer: sent straight to the driver (see bot/storage/fast.py).
_INSERT_ANSWER = DriverStatement(
    "INSERT INTO contest_answer (contest_id, question_index, question_key, member_id, answer, correct, points, "
    "answered_at) VALUES (:contest, :index, :key, :member, :answer, :correct, :points, :at)")

_PROGRESS = DriverStatement(
    "UPDATE contest SET current_index = :index, question_started_at = :opened, status = :status, "
    "finished_at = :finished WHERE id = :id")

__all__ = ["insert_contest", "save_answer", "award_question", "save_progress", "running_contests", "contest_members",
           "contest_history", "mark_settled", "unsettled_contests"]


def insert_contest(*, session: Session, group_id: int, contest: Contest, now: datetime, scored: bool = True,
                   round_id: int | None = None) -> int:
    row = ContestRow(group_id=group_id, bank=contest.bank, scored=scored, round_id=round_id,
                     settled=None if round_id is None else 0,
                     question_keys=json.dumps([q.key for q in contest.questions]),
                     time_limit=contest.time_limit, started_by=contest.started_by,
                     current_index=contest.index, question_started_at=contest.question_started_at,
                     started_at=now)
    session.add(row)
    session.flush()
    return row.id


def save_answer(*, session: Session, contest_id: int, question_index: int, question_key: str,
                record: AnswerRecord) -> None:
    """The answer with its points; the points reach the ledger when the question closes
    (`award_question`), so an answer costs two small writes (see bench/answers.py). In a batch of messages the
    row waits for the batch's one executemany (bot/storage/deferred.py): readers of contest_answer here write it
    first."""
    row = {"contest": contest_id, "index": question_index, "key": question_key, "member": record.member_id,
           "answer": record.answer[:500], "correct": record.correct, "points": record.points, "at": record.at}
    if not deferred.deferred(session, _INSERT_ANSWER, row):
        _INSERT_ANSWER.execute(session.connection(), row)


def award_question(*, session: Session, contest_id: int, question_index: int, amounts: list[tuple[int, int]],
                   now: datetime, cap: Cap, new: bool = True, bank: str = "") -> dict[int, Reached]:
    """(member, 党建积分) of a closed question into the ledger; the members a cap first held back now.
    A question closes once, in the same transaction as the contest's progress, so its awards are `new`."""
    awards = [(member, amount, f"contest:{contest_id}:{question_index}:{member}") for member, amount in amounts]
    return award_many(session=session, reason="contest", now=now, new=new, category=Category.QUIZ, cap=cap,
                      note=bank, awards=awards)


def save_progress(*, session: Session, contest_id: int, contest: Contest, now: datetime) -> None:
    _PROGRESS.execute(session.connection(), {
        "id": contest_id, "index": contest.index, "opened": contest.question_started_at,
        "status": "finished" if contest.finished else "running", "finished": now if contest.finished else None})


def running_contests(*, session: Session) -> list[ContestRow]:
    return list(session.exec(select(ContestRow).where(ContestRow.status == "running")).all())


def contest_members(*, session: Session, contest_id: int) -> dict[int, tuple[str, int | None, bool]]:
    """Member id → (name, branch id, on the roster) of everyone who has answered in the contest."""
    deferred.write(session)
    rows = session.exec(select(Member.id, Member.name, Member.branch_id, Member.rostered).join(
        ContestAnswer, ContestAnswer.member_id == Member.id).where(ContestAnswer.contest_id == contest_id)).all()
    return {member_id: (name, branch_id, bool(rostered)) for member_id, name, branch_id, rostered in rows}


def contest_history(*, session: Session, contest_id: int, names: dict[int, str]) -> list[tuple[int, AnswerRecord]]:
    deferred.write(session)
    rows = session.exec(select(ContestAnswer).where(ContestAnswer.contest_id == contest_id)
                        .order_by(ContestAnswer.id)).all()
    return [(r.question_index, AnswerRecord(r.member_id, names.get(r.member_id, ""), r.answer, r.correct,
                                            r.points, r.answered_at)) for r in rows]


def mark_settled(*, session: Session, contest_id: int, settled: int) -> None:
    session.execute(update(ContestRow).where(col(ContestRow.id) == contest_id).values(settled=settled))


def unsettled_contests(*, session: Session) -> list[ContestRow]:
    """Contests whose closed questions' points are not all written yet (a 全委竞赛 stopped between a reveal and
    its points)."""
    owed = ContestRow.current_index + case((col(ContestRow.status) == "finished", 1), else_=0)
    return list(session.exec(select(ContestRow).where(col(ContestRow.settled).is_not(None),
                                                      col(ContestRow.settled) < owed)))
