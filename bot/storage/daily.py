"""每日一题: the question each member was given each day, and their answer."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from bot.storage.models import DailyAnswer

__all__ = ["daily_answer"]


def daily_answer(*, session: Session, member_id: int, day: date) -> DailyAnswer | None:
    """The member's 每日一题 row for `day` (asked, and maybe answered), or None."""
    return session.exec(select(DailyAnswer).where(DailyAnswer.member_id == member_id,
                                                  DailyAnswer.day == day.isoformat())).first()
