"""A member's wrong answers (错题本) and their practice attempts (错题练习)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session, select

from bot.storage.fast import DriverStatement
from bot.storage.models import PracticeAttempt

__all__ = ["Mistake", "record_mistakes", "open_mistakes", "pending_practice"]

_WRONG = text("""
SELECT bank, question_key, answer, at FROM mistake
WHERE member_id = :member ORDER BY at DESC, id DESC LIMIT :scan""")
_RECORD = DriverStatement("INSERT INTO mistake (member_id, bank, question_key, answer, at) "
                          "VALUES (:member, :bank, :key, :answer, :at)")
_MASTERED = text("""
SELECT bank, question_key, MAX(answered_at) FROM practice_attempt
WHERE member_id = :member AND correct = true GROUP BY bank, question_key""")


@dataclass(frozen=True)
class Mistake:
    bank: str
    question_key: str
    answer: str  # what the member answered
    at: datetime


def _as_datetime(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def record_mistakes(*, session: Session, bank: str, question_key: str, wrong: list[tuple[int, str]],
                    at: datetime) -> None:
    """(member_id, answer) pairs who got this question wrong, in one batched statement."""
    if wrong:
        _RECORD.execute(session.connection(), [{"member": m, "bank": bank, "key": question_key,
                                                "answer": answer[:500], "at": at} for m, answer in wrong])


def open_mistakes(*, session: Session, member_id: int, scan: int = 500) -> list[Mistake]:
    """Wrong answers, newest first, one per question, leaving out questions the member has
    since answered right in 错题练习."""
    mastered = {(bank, key): _as_datetime(at) for bank, key, at in
                session.execute(_MASTERED, {"member": member_id}).all()}
    seen: set[tuple[str, str]] = set()
    mistakes = []
    for bank, key, answer, at in session.execute(_WRONG, {"member": member_id, "scan": scan}).all():
        at = _as_datetime(at)
        if (bank, key) in seen or mastered.get((bank, key), datetime.min) >= at:
            continue
        seen.add((bank, key))
        mistakes.append(Mistake(bank, key, answer or "", at))
    return mistakes


def pending_practice(*, session: Session, member_id: int) -> PracticeAttempt | None:
    return session.exec(select(PracticeAttempt).where(PracticeAttempt.member_id == member_id,
                                                      PracticeAttempt.answer == None)  # noqa: E711
                        .order_by(PracticeAttempt.id.desc())).first()
