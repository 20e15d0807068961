"""The ingress (bot/ingress.py): messages arriving within the window share one transaction, and a message's replies
are handed back only once the commit that stored it has happened. The window's timer is fired by hand here."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from helpers import T0, enrol, group_msg, texts
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot.app import App
from bot.dispatcher import APOLOGY
from bot.ingress import Ingress
from bot.messages import Incoming, Outgoing
from bot.services.context import Context

GROUP = "第一党支部"
ACCEPTED = "已作答第 1 题，答案揭晓前不可更改。"


class HandTimer:
    """call_later that fires only when the test says so."""

    def __init__(self) -> None:
        self.armed: list[tuple[float, Callable[[], None]]] = []

    def __call__(self, delay: float, callback: Callable[[], None]) -> HandTimer:
        self.armed.append((delay, callback))
        return self

    def cancel(self) -> None:
        self.armed.clear()

    def fire(self) -> None:
        armed, self.armed = self.armed, []
        for _, callback in armed:
            callback()


def batching(app: App, timer: HandTimer, largest: int = 256) -> Ingress:
    app.ingress = Ingress(app.dispatcher.handle_many, window=0.003, largest=largest, call_later=timer)
    return app.ingress


def stored(app: App) -> list[tuple[str, str]]:
    """The answers committed, as another connection sees them: (member, answer) in answer order."""
    with app.db.session() as session:
        return [tuple(row) for row in session.execute(text(
            "SELECT m.name, a.answer FROM contest_answer a JOIN member m ON m.id = a.member_id ORDER BY a.id"))]


def contest(app: App, *members: str) -> str:
    """A contest in the group with `members` on the roster; its first question's right answer."""
    enrol(app, "张三", *members)
    assert any("发起了知识竞赛" in t for t in texts(app.handle(group_msg("张三", "开始竞赛 测试题库 3", GROUP,
                                                                          at=app.clock.now()))))
    with app.db.session() as session:
        group_id = session.execute(text("SELECT id FROM chat_group WHERE external_id = :g"), {"g": GROUP}).scalar_one()
    question = app.contests.open_question(group_id)
    assert question is not None
    return question.answer


def answer(app: App, name: str, words: str, message_id: str | None = None) -> Incoming:
    return group_msg(name, words, GROUP, at=app.clock.now(), message_id=message_id)


def run(body: Callable[[], Any]) -> Any:
    async def main() -> Any:
        return await body()
    return asyncio.run(main())


def test_replies_wait_for_the_commit_that_stored_them(app: App) -> None:
    right = contest(app, "李四", "王五", "赵六")
    timer = HandTimer()
    ingress = batching(app, timer)
    seen_at_reply: list[list[tuple[str, str]]] = []

    async def body() -> list[list[str]]:
        futures = [ingress.submit(answer(app, name, right)) for name in ("李四", "王五", "赵六")]
        for future in futures:
            future.add_done_callback(lambda _: seen_at_reply.append(stored(app)))
        await asyncio.sleep(0)
        assert not any(f.done() for f in futures) and stored(app) == []  # waiting: nothing handled, nothing said
        assert [delay for delay, _ in timer.armed] == [0.003]  # one timer for the batch
        timer.fire()
        return [texts(await f) for f in futures]

    replies = run(body)
    assert replies == [[f"{name} {ACCEPTED}"] for name in ("李四", "王五", "赵六")]
    everyone = [("李四", right), ("王五", right), ("赵六", right)]
    assert seen_at_reply == [everyone] * 3  # each reply came after all three were committed
    assert ingress.waiting == 0


def test_the_largest_batch_goes_without_waiting_for_the_timer(app: App) -> None:
    right = contest(app, "李四", "王五")
    timer = HandTimer()
    ingress = batching(app, timer, largest=2)

    async def body() -> list[list[str]]:
        futures = [ingress.submit(answer(app, name, right)) for name in ("李四", "王五")]
        assert all(f.done() for f in futures) and timer.armed == []
        return [texts(f.result()) for f in futures]

    assert run(body) == [[f"李四 {ACCEPTED}"], [f"王五 {ACCEPTED}"]]


def test_one_bad_message_does_not_sink_the_others(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    right = contest(app, "李四", "王五", "赵六")
    route = app.dispatcher._route  # noqa: SLF001

    def broken_for_one(ctx: Context, words: str) -> list[Outgoing]:
        if ctx.incoming.message_id == "bad":
            raise ValueError("a message no handler expected")
        return route(ctx, words)

    monkeypatch.setattr(app.dispatcher, "_route", broken_for_one)
    timer = HandTimer()
    ingress = batching(app, timer)

    async def body() -> list[list[str]]:
        futures = [ingress.submit(answer(app, "李四", right)), ingress.submit(answer(app, "王五", right, "bad")),
                   ingress.submit(answer(app, "赵六", right))]
        timer.fire()
        return [texts(await f) for f in futures]

    assert run(body) == [[f"李四 {ACCEPTED}"], [APOLOGY], [f"赵六 {ACCEPTED}"]]
    assert stored(app) == [("李四", right), ("赵六", right)]


def failing_commits(app: App, monkeypatch: pytest.MonkeyPatch, times: int, reason: str) -> list[int]:
    """The next `times` commits of a message's transaction fail with `reason`; counts the failures."""
    message_session, failed = app.db.message_session, [0]

    @contextmanager
    def failing_session() -> Iterator[Session]:
        with message_session() as session:
            def commit_or_fail() -> None:
                if failed[0] < times:
                    failed[0] += 1
                    session.rollback()
                    raise OperationalError("COMMIT", {}, Exception(reason))
                Session.commit(session)

            session.commit = commit_or_fail  # type: ignore[method-assign]
            yield session

    monkeypatch.setattr(app.db, "message_session", failing_session)
    return failed


def test_a_refused_commit_hands_over_nothing_then_each_message_is_tried_again(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    right = contest(app, "李四", "王五")
    failed = failing_commits(app, monkeypatch, 1, "database is locked")
    timer = HandTimer()
    ingress = batching(app, timer)

    async def body() -> list[list[str]]:
        futures = [ingress.submit(answer(app, "李四", right)), ingress.submit(answer(app, "王五", "B"))]
        timer.fire()
        return [texts(await f) for f in futures]

    # the batch's commit failed: its replies were dropped; each message handled again, stored, answered once
    assert run(body) == [[f"李四 {ACCEPTED}"], [f"王五 {ACCEPTED}"]]
    assert failed == [1]
    assert stored(app) == [("李四", right), ("王五", "B")]


def test_a_database_that_keeps_refusing_gets_the_apology_and_no_acknowledgement(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    right = contest(app, "李四", "王五")
    failing_commits(app, monkeypatch, 100, "disk I/O error")
    timer = HandTimer()
    ingress = batching(app, timer)

    async def body() -> list[list[Outgoing]]:
        futures = [ingress.submit(answer(app, "李四", right)), ingress.submit(answer(app, "王五", right))]
        timer.fire()
        return [await f for f in futures]

    assert [texts(r) for r in run(body)] == [[APOLOGY], [APOLOGY]]
    monkeypatch.undo()
    assert stored(app) == []


def test_a_platform_retry_is_stored_once_in_the_same_batch_and_in_a_later_one(app: App) -> None:
    right = contest(app, "李四")
    timer = HandTimer()
    ingress = batching(app, timer)

    async def body() -> list[list[str]]:
        first = [ingress.submit(answer(app, "李四", right, "wecom-1")),
                 ingress.submit(answer(app, "李四", right, "wecom-1"))]
        timer.fire()
        later = ingress.submit(answer(app, "李四", right, "wecom-1"))
        timer.fire()
        return [texts(await f) for f in [*first, later]]

    assert run(body) == [[f"李四 {ACCEPTED}"], [], []]
    assert stored(app) == [("李四", right)]
    with app.db.session() as session:
        assert session.execute(text("SELECT COUNT(*) FROM processed_message WHERE message_id = 'wecom-1'")
                               ).scalar_one() == 1


def test_one_members_messages_keep_their_order_through_every_door(app: App) -> None:
    right = contest(app, "李四", "王五")
    wrong = "B" if right != "B" else "C"
    timer = HandTimer()
    ingress = batching(app, timer)

    async def body() -> tuple[list[str], list[str], list[str]]:
        first = ingress.submit(answer(app, "李四", right))
        second = ingress.submit(answer(app, "李四", wrong))
        # another door into the core (a sequential channel): what waits in the ingress is handled first
        third = texts(app.handle(answer(app, "王五", wrong)))
        assert first.done() and second.done() and timer.armed == []
        return texts(first.result()), texts(second.result()), third

    first, second, third = run(body)
    assert first == [f"李四 {ACCEPTED}"]
    assert second == [f"第 1 题您已作答（{right}），以第一次作答为准。"]
    assert third == [f"王五 {ACCEPTED}"]
    assert stored(app) == [("李四", right), ("王五", wrong)]


def test_a_deadline_waits_for_the_answers_that_came_before_it(app: App) -> None:
    right = contest(app, "李四", "王五")
    timer = HandTimer()
    ingress = batching(app, timer)

    async def body() -> list[str]:
        waiting = ingress.submit(answer(app, "李四", right))
        app.clock.set(T0.replace(minute=5))  # past the question's limit
        app.fire_due_timers()
        return texts(waiting.result())

    assert run(body) == [f"李四 {ACCEPTED}"]
    assert stored(app) == [("李四", right)]


def test_a_closed_window_handles_each_message_as_it_comes(app: App) -> None:
    right = contest(app, "李四")

    async def body() -> list[str]:
        future = app.ingress.submit(answer(app, "李四", right))
        assert future.done()
        return texts(future.result())

    assert app.ingress.window == 0  # scripts and tests: nothing waits
    assert run(body) == [f"李四 {ACCEPTED}"]
