"""A member's wrong answers (错题本) and their practice attempts (错题练习)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session, select

from bot.storage.models import PracticeAttempt

__all__ = ["Mistake", "open_mistakes", "pending_practice"]

_WRONG = text("""
SELECT c.bank, a.question_key, a.answer, a.answered_at
FROM contest_answer a JOIN contest c ON c.id = a.contest_id
WHERE a.member_id = :member AND a.correct = false AND a.question_key <> ''
UNION ALL
SELECT d.bank, d.question_key, d.answer, d.answered_at
FROM daily_answer d
WHERE d.member_id = :member AND d.correct = false
ORDER BY 4 DESC
LIMIT :scan""")
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
