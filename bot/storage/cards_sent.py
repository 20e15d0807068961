"""The question cards a channel sent (DingTalk): each card's chat and question, so that a tap after a
restart still finds its group (DingTalk's tap often lacks the conversation) and a reveal after a
restart still closes the question's cards. Kept 30 days."""

from __future__ import annotations

from datetime import timedelta

from pydantic import NaiveDatetime as datetime  # stored as Shanghai wall-clock time (models.py)
from sqlalchemy import delete
from sqlmodel import Field, Session, SQLModel, select

from bot.storage.once import add_once

__all__ = ["CardSent", "remember_card", "card_chat", "cards_of_question", "KEPT"]

KEPT = timedelta(days=30)


class CardSent(SQLModel, table=True):
    __tablename__ = "card_sent"
    track_id: str = Field(max_length=64, primary_key=True)
    channel: str = Field(max_length=20)
    question_key: str = Field(max_length=200, index=True)
    chat_id: str = Field(max_length=200)
    is_group: bool = True
    chat_name: str = Field(default="", max_length=200)
    sent_at: datetime = Field(index=True)


def remember_card(*, session: Session, row: CardSent) -> None:
    """Keep the card (once), forgetting the cards older than 30 days. In the caller's transaction."""
    add_once(session, row)
    session.execute(delete(CardSent).where(CardSent.sent_at < row.sent_at - KEPT))  # type: ignore[arg-type]


def card_chat(*, session: Session, track_id: str) -> CardSent | None:
    return session.get(CardSent, track_id)


def cards_of_question(*, session: Session, channel: str, question_key: str) -> list[str]:
    return list(session.exec(select(CardSent.track_id).where(CardSent.channel == channel,
                                                             CardSent.question_key == question_key)).all())
