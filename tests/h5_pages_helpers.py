"""Helpers for the members' pages tests: the CSRF token of a page, what the chat says, what is stored."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import select

from bot.app import App
from bot.storage.models import DailyAnswer, PointsEntry
from quizzes.model import Question
from tests.helpers import private_msg, texts
from tests.web_helpers import ids

__all__ = ["csrf_of", "post", "chat", "ledger", "daily_row", "daily_question", "wrong_answer"]


def csrf_of(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', text)
    assert found is not None, text
    return found[1]


def key_of(text: str) -> str:
    found = re.search(r'name="key" value="([^"]*)"', text)
    assert found is not None, text
    return found[1]


def post(client: TestClient, path: str, page: str, **data: Any) -> Any:
    """Submit the form of `page` (its token and question key) with `data`."""
    form = {"csrf": csrf_of(page), **({"key": key_of(page)} if 'name="key"' in page else {}), **data}
    return client.post(path, data=form)


def chat(app: App, name: str, words: str) -> str:
    return "\n".join(texts(app.handle(private_msg(name, words, at=app.clock.now()))))


def ledger(app: App, name: str) -> list[tuple[int, str, str, int]]:
    """(amount, reason, category, withheld) of the member's points entries."""
    with app.db.session() as session:
        rows = session.exec(select(PointsEntry).where(PointsEntry.member_id == ids(app)[name])).all()
        return [(r.amount, r.reason, r.category, r.withheld) for r in rows]


def daily_row(app: App, name: str) -> DailyAnswer | None:
    with app.db.session() as session:
        return session.exec(select(DailyAnswer).where(DailyAnswer.member_id == ids(app)[name])).first()


def daily_question(app: App, name: str) -> Question:
    row = daily_row(app, name)
    assert row is not None
    question = app.catalog.question(row.bank, row.question_key)
    assert question is not None
    return question


def wrong_answer(question: Question) -> str:
    if question.type.value == "judge":
        return "错" if question.answer == "对" else "对"
    if question.type.value == "blank":
        return "不知道的答案"
    return "A" if question.answer != "A" else "B"
