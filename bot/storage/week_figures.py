"""The figures of one week for the committee's summary: who took part, answers, study items read. Read straight
from the running totals and the answer tables, each an indexed range, so a summary over 100,000 members is cheap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from bot.storage import deferred

__all__ = ["WeekFigures", "week_figures"]


@dataclass(frozen=True)
class WeekFigures:
    members: int  # on the roster (every known member where there is no roster)
    active: int  # with 党建积分 in the week
    answers: int  # contest answers and 每日一题 answered
    reads: int  # 已学


_MEMBERS = text("SELECT COUNT(*) FROM member WHERE rostered = :yes")
_KNOWN = text("SELECT COUNT(*) FROM member")
_ACTIVE = text("SELECT COUNT(*) FROM points_total WHERE period_key = :key AND points > 0")
_CONTEST = text("SELECT COUNT(*) FROM contest_answer WHERE answered_at >= :since AND answered_at < :until")
_DAILY = text("SELECT COUNT(*) FROM daily_answer WHERE answered_at >= :since AND answered_at < :until")
_READS = text("SELECT COUNT(*) FROM study_read WHERE read_at >= :since AND read_at < :until")


def week_figures(session: Session, *, week_key: str, since: datetime, until: datetime) -> WeekFigures:
    deferred.write(session)  # answers of a batch under way count too
    span = {"since": since, "until": until}
    members = session.execute(_MEMBERS, {"yes": True}).scalar_one() or session.execute(_KNOWN).scalar_one()
    answers = session.execute(_CONTEST, span).scalar_one() + session.execute(_DAILY, span).scalar_one()
    return WeekFigures(members=members, active=session.execute(_ACTIVE, {"key": week_key}).scalar_one(),
                       answers=answers, reads=session.execute(_READS, span).scalar_one())
