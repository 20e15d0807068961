"""Metered platform API calls (DingTalk's OpenAPI counts every call against the organisation's monthly
quota): one row per channel and day, its count raised by each call; a month is the sum of its days."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, update
from sqlmodel import Field, Session, SQLModel, select

from bot.storage.once import add_once

__all__ = ["MeteredCall", "count_call", "month_calls", "day_calls", "WARN_AT", "DEGRADE_AT"]

WARN_AT = 0.8  # of the monthly quota: the admins are told
DEGRADE_AT = 0.9  # of the monthly quota: questions go as text, cards are no longer updated through the API


class MeteredCall(SQLModel, table=True):
    __tablename__ = "metered_call"
    channel: str = Field(max_length=20, primary_key=True)
    day: str = Field(max_length=10, primary_key=True)  # 2026-12-06
    calls: int = 0


def count_call(*, session: Session, channel: str, day: date, calls: int = 1) -> None:
    """Add `calls` to the channel's count for `day`, in the caller's transaction."""
    key = day.isoformat()
    statement = update(MeteredCall).where(MeteredCall.channel == channel,  # type: ignore[arg-type]
                                          MeteredCall.day == key).values(calls=MeteredCall.calls + calls)
    if session.execute(statement).rowcount == 0 and not add_once(session, MeteredCall(channel=channel, day=key,
                                                                                      calls=calls)):
        session.execute(statement)  # another writer made the row meanwhile


def month_calls(*, session: Session, channel: str, day: date) -> int:
    """The calls counted in `day`'s month up to now."""
    total = session.exec(select(func.sum(MeteredCall.calls)).where(
        MeteredCall.channel == channel, MeteredCall.day.startswith(f"{day:%Y-%m}-"))).one()  # type: ignore[attr-defined]
    return int(total or 0)


def day_calls(*, session: Session, channel: str, day: date) -> int:
    row = session.get(MeteredCall, (channel, day.isoformat()))
    return row.calls if row is not None else 0
