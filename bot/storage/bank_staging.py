"""Writing a stored bank out of sight, then showing it in one step.

An import of 100,000 questions in one transaction held SQLite's write lock for seconds, and the running bot's
answers waited behind it past the platforms' 5 s. So an import writes its questions into a *staging* bank row
in short transactions, then `publish` swaps it in (one row renamed, the old one *retired*), and the retired
bank's questions are deleted in short transactions afterwards. Readers see only live banks: before the swap
the old bank, after it the new one, never a half-written one."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from bot.storage.banks import question_row
from bot.storage.fast import DriverStatement
from bot.storage.models import BankQuestionRow, BankRow
from quizzes.model import Question

__all__ = ["LIVE", "STAGING", "RETIRED", "live_bank", "stored_keys", "open_staging", "add_questions",
           "copy_questions", "last_position", "publish", "drop_questions", "unfinished_banks"]

LIVE, STAGING, RETIRED = "live", "staging", "retired"

_COPY = DriverStatement(
    "INSERT INTO bank_question (bank_id, position, key, type, text, options, answer, blanks, explanation, "
    "time_limit, strictness, points, difficulty, topic, source) "
    "SELECT :to_bank, position, key, type, text, options, answer, blanks, explanation, time_limit, strictness, "
    "points, difficulty, topic, source FROM bank_question WHERE bank_id = :from_bank AND position >= :low "
    "AND position < :high")
_DROP = DriverStatement(
    "DELETE FROM bank_question WHERE id IN (SELECT id FROM bank_question WHERE bank_id = :bank LIMIT :limit)")


def live_bank(*, session: Session, name: str) -> BankRow | None:
    return session.exec(select(BankRow).where(BankRow.name == name, BankRow.state == LIVE)).first()


def stored_keys(*, session: Session, bank_id: int) -> set[str]:
    return set(session.exec(select(BankQuestionRow.key).where(BankQuestionRow.bank_id == bank_id)))


def last_position(*, session: Session, bank_id: int) -> int:
    """The highest position in the bank, -1 when it has no questions."""
    found = session.exec(select(func.max(BankQuestionRow.position)).where(BankQuestionRow.bank_id == bank_id)).one()
    return -1 if found is None else found


def open_staging(*, session: Session, now: datetime) -> int:
    """A new staging bank row (invisible to readers); its id."""
    row = BankRow(name=f"{STAGING}:{uuid.uuid4().hex}", state=STAGING, updated_at=now)
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def add_questions(*, session: Session, bank_id: int, start: int, questions: Sequence[Question]) -> None:
    session.add_all(question_row(bank_id, start + i, q) for i, q in enumerate(questions))
    session.flush()


def copy_questions(*, session: Session, from_bank: int, to_bank: int, low: int, high: int) -> int:
    """Copy the questions at positions [low, high) of one bank to another, keeping their positions."""
    return _COPY.execute(session.connection(), {"from_bank": from_bank, "to_bank": to_bank, "low": low,
                                                "high": high})


def publish(*, session: Session, staging_id: int, name: str, description: str, time_limit: int | None,
            strictness: str | None, source: str, now: datetime) -> int | None:
    """Make the staging bank the live bank called `name`, in one short transaction; the live bank it replaces
    is retired (its id is returned, for `drop_questions`)."""
    old = live_bank(session=session, name=name)
    if old is not None:
        old.name, old.state = f"{RETIRED}:{old.id}:{uuid.uuid4().hex}", RETIRED
        session.add(old)
        session.flush()  # the name is free before the staging row takes it
    staged = session.get(BankRow, staging_id)
    if staged is None:
        raise LookupError(f"staging bank {staging_id} is gone")
    staged.name, staged.state, staged.source, staged.updated_at = name, LIVE, source, now
    staged.description, staged.time_limit, staged.strictness = description, time_limit, strictness
    session.add(staged)
    session.flush()
    return None if old is None else old.id


def drop_questions(*, session: Session, bank_id: int, limit: int) -> int:
    """Delete up to `limit` questions of a staging or retired bank; when none is left, the bank row too.
    How many questions were deleted (0: the bank is gone)."""
    deleted = _DROP.execute(session.connection(), {"bank": bank_id, "limit": limit})
    if deleted == 0:
        row = session.get(BankRow, bank_id)
        if row is not None and row.state != LIVE:
            session.delete(row)
            session.flush()
    return deleted


def unfinished_banks(*, session: Session, before: datetime) -> list[int]:
    """Staging and retired banks left before `before` (an import that was interrupted): to be dropped."""
    return list(session.exec(select(BankRow.id).where(BankRow.state != LIVE, BankRow.updated_at < before)))
