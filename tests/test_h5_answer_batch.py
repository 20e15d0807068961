"""The live contest page's answers share a transaction (App.handle_many, the page's bot/ingress.py): each is still
taken by the one answer policy and stored once, each member told what a single answer would have told them; a batch
whose transaction fails is handled again message by message, nothing lost and nothing stored twice."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

import bot.dispatcher
from bot.messages import Incoming, Sender
from bot.web.h5.contest_answer import sender_id
from tests.h5_contest_helpers import Live, live_contest, stored
from tests.web_helpers import ids


def page_answer(live: Live, name: str, choice: str, index: int = 0) -> Incoming:
    member_id = ids(live.app)[name]
    return Incoming(chat=live.running().chat, sender=Sender(sender_id(member_id), name), text=choice,
                    message_id=f"h5:{uuid.uuid4().hex}", received_at=live.clock.now(), button=choice,
                    question_key=live.key(index), member_id=member_id)


def right(live: Live) -> str:
    return str(live.running().contest.current.answer.split("、")[0])


def test_a_batch_stores_each_answer_once_and_tells_each_member(tmp_path: Path, database_url: str) -> None:
    live = live_contest(tmp_path, database={"url": database_url})
    answer = right(live)
    replies = live.app.handle_many([page_answer(live, "张三", answer), page_answer(live, "张三", answer),
                                    page_answer(live, "李四", answer)])
    texts = [[r.text for r in reply] for reply in replies]
    assert texts[0] == ["已作答第 1 题，答案揭晓前不可更改。"]
    assert texts[1] == [f"第 1 题您已作答（{answer}），以第一次作答为准。"]
    assert texts[2] == ["已作答第 1 题，答案揭晓前不可更改。"]
    assert stored(live.app, live.contest_id) == [(0, "张三", answer), (0, "李四", answer)]


def test_a_failed_batch_is_handled_again_one_by_one(tmp_path: Path, database_url: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    live = live_contest(tmp_path, database={"url": database_url})
    answer = right(live)
    claim, calls = bot.dispatcher.claim_messages, [0]

    def failing_once(**kwargs: Any) -> set[tuple[str, str]]:
        calls[0] += 1
        if calls[0] == 1:  # the batch's claim: the whole transaction is rolled back
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return claim(**kwargs)

    monkeypatch.setattr(bot.dispatcher, "claim_messages", failing_once)
    replies = live.app.handle_many([page_answer(live, "张三", answer), page_answer(live, "李四", answer)])
    assert [[r.text for r in reply] for reply in replies] == [["已作答第 1 题，答案揭晓前不可更改。"]] * 2
    assert stored(live.app, live.contest_id) == [(0, "张三", answer), (0, "李四", answer)]
