"""The WeCom smart robot's long connection, end to end: the whole bot and the real websockets
client against a fake WeCom server on 127.0.0.1 (tests/fakes/wecom_ws_server.py).

Time: contests run on a ManualClock; `tick_timers` (the service's own ticker) fires their
deadlines when a test moves the clock. Reconnects, pings and the send window run on a `Sleeps`
the test drives where they are what is tested, so nothing depends on how fast the machine is. A
test that checks nothing more happened first waits for a later frame's answer: frames are
handled in order. Each test runs its own event loop (asyncio.run)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes.wecom_ws_server import FakeWeComServer, content, pushed, reply_to
from helpers import T0, Sleeps, enrol, make_app, serving

from bot.app import App
from bot.channels.base import NotDelivered
from bot.channels.common.backoff import backoff_delay
from bot.channels.common.split import split_text
from bot.channels.wecom import cards
from bot.channels.wecom.ws import WeComRobotWS
from bot.clock import ManualClock
from bot.messages import Chat, Incoming, Outgoing

BOT = "@学习助手"
G1 = Chat("wecom", "g1", True, "g1")


def run(coro: Any, timeout: float = 12.0) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def running_bot(tmp_path: Path, clock: ManualClock, server: FakeWeComServer, *, sleeps: Sleeps | None = None,
                      **options: Any) -> AsyncIterator[tuple[App, WeComRobotWS]]:
    """The whole bot with the adapter registered as "wecom", started, its timers ticking; its waits
    on `sleeps` when given."""
    app = make_app(tmp_path, clock, wecom={"corp_id": "x", "robot": {
        "mode": "websocket", "bot_id": "B", "secret": "S", "ws_url": server.url}})
    if sleeps is not None:
        options |= {"sleep": sleeps.sleep, "clock": sleeps.clock}
    adapter = WeComRobotWS(app=app, settings=app.settings.wecom.robot, seed=7, **options)
    async with serving(app, adapter):
        await server.wait_connected()
        yield app, adapter


async def ask(server: FakeWeComServer, user: str, text: str, **kw: Any) -> dict:
    """`user` @-s the bot in g1; the bot's response frame."""
    req_id = await server.say(user, f"{BOT} {text}", **kw)
    return await server.wait_for(reply_to(req_id))


async def settled(server: FakeWeComServer) -> str:
    """u3 asks for 帮助 and is answered: every frame the server sent before has been handled (the
    client handles frames in order). Its req_id."""
    req_id = await server.say("u3", f"{BOT} 帮助")
    await server.wait_for(reply_to(req_id))
    return req_id


def backoff(seconds: float) -> bool:
    """A reconnect delay or the send window's wait, not the 10 s subscribe timeout or the 30 s ping interval."""
    return seconds < 10


def ping_interval(seconds: float) -> bool:
    return seconds == 30


def card_of(frame: dict) -> dict:
    return frame["body"]["template_card"]


def card_text(card: dict) -> str:
    """What a card says: its title, the text under it and its description."""
    title = card["main_title"]
    return "\n".join(filter(None, [title.get("title"), title.get("desc"), card.get("sub_title_text")]))


def update_of(frame: dict) -> dict:
    assert frame["cmd"] == "aibot_respond_update_msg"
    body = frame["body"]
    assert body["response_type"] == "update_template_card"
    return body


# ----- a whole contest -----


def test_a_timed_contest_played_with_cards_and_typed_answers(tmp_path: Path) -> None:
    clock = ManualClock(T0)

    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, clock, server) as (app, adapter):
            sub = server.received[0]
            assert sub["cmd"] == "aibot_subscribe" and sub["body"] == {"bot_id": "B", "secret": "S"}
            # the roster: u1 (书记: a scored contest), u2 and u3 in g1's branch; a question waits for all three
            enrol(app, "u1", "u2", "u3", branch="g1", channel="wecom")

            mark = len(server.received)
            intro = await ask(server, "u1", "开始竞赛 测试题库 3 5秒")
            assert intro["body"]["msgtype"] == "stream" and intro["body"]["stream"]["finish"] is True
            assert "发起了知识竞赛：测试题库，共 3 题" in content(intro)

            # Q1, 多选: a vote card with a submit button, pushed to the group
            q1 = await server.wait_for(pushed("template_card"), after=mark)
            assert q1["body"]["chatid"] == "g1" and q1["body"]["chat_type"] == 2
            vote = card_of(q1)
            assert vote["card_type"] == "vote_interaction" and vote["checkbox"]["mode"] == 1
            assert "三会" in vote["main_title"]["desc"]
            assert [o["id"] for o in vote["checkbox"]["option_list"]] == ["A", "B", "C", "D"]

            # u1 ticks three and submits: their card (theirs only) shows the answer, nothing left to press
            mark = len(server.received)
            click = await server.click("u1", vote, options=["C", "A", "B"])
            update = update_of(await server.wait_for(reply_to(click, "aibot_respond_update_msg")))
            assert update["userids"] == ["u1"]
            locked = update["template_card"]
            assert locked["task_id"] == vote["task_id"] and locked["checkbox"]["disable"] is True
            assert [o["is_checked"] for o in locked["checkbox"]["option_list"]] == [True, True, True, False]
            assert locked["submit_button"]["text"] == "已作答：ABC"
            assert locked["main_title"]["desc"] == "已作答第 1 题，答案揭晓前不可更改。"
            # once more: the core takes the first; the card still shows it
            again = await server.click("u1", vote, options=["D"], msgid="ev-again")
            locked_again = update_of(await server.wait_for(reply_to(again, "aibot_respond_update_msg")))
            assert locked_again["userids"] == ["u1"]
            assert locked_again["template_card"]["submit_button"]["text"] == "已作答：ABC"
            assert "以第一次作答为准" in locked_again["template_card"]["main_title"]["desc"]
            # a typed answer (a group of three sees it), and WeCom delivering that same callback twice
            typed = await server.say("u2", f"{BOT} AB", msgid="m-u2-q1", req_id="r-u2-q1")
            assert "u2 已作答第 1 题" in content(await server.wait_for(reply_to(typed)))
            await server.say("u2", f"{BOT} AB", msgid="m-u2-q1", req_id="r-u2-q1")
            probe = await settled(server)
            responded = [f["headers"]["req_id"] for f in server.frames("aibot_respond_msg", after=mark)]
            assert responded == ["r-u2-q1", probe]  # the repeated callback got nothing new
            assert not server.frames("aibot_send_msg", after=mark)  # the taps' notes stay off the group

            # the deadline passes (u3 never answered): one push, Q2's card with Q1's reveal on it
            mark = len(server.received)
            clock.set(clock.now() + timedelta(seconds=5))
            q2 = await server.wait_for(pushed("template_card"), after=mark)
            judge = card_of(q2)
            assert judge["card_type"] == "button_interaction"
            assert [b["text"] for b in judge["button_list"]] == ["对", "错"]
            step = card_text(judge)
            assert "第 1 题答案" in step and "答对 1 人：u1" in step and "2 人作答" not in step
            assert step.index("第 1 题答案") < step.index("退党") and judge["task_id"] != vote["task_id"]
            await settled(server)
            assert server.frames("aibot_send_msg", after=mark) == [q2]  # the reveal is not sent twice

            # a late click on Q1's card must not answer Q2: u3's card says so, the group gets nothing
            mark = len(server.received)
            late = await server.click("u3", vote, options=["A"])
            closed = update_of(await server.wait_for(reply_to(late, "aibot_respond_update_msg")))
            assert closed["userids"] == ["u3"] and closed["template_card"]["submit_button"]["text"] == "本题已结束"
            assert closed["template_card"]["main_title"]["desc"] == "第 1 题已经结束，请在第 2 题的卡片上作答。"
            await settled(server)
            assert not server.frames("aibot_send_msg", after=mark)

            # Q2: all three answer (two buttons, one typed): it closes at once, no timer needed
            mark = len(server.received)
            for user, key in (("u1", "对"), ("u2", "错")):
                req = await server.click(user, judge, key=f"{judge['task_id']}:{key}")
                body = update_of(await server.wait_for(reply_to(req, "aibot_respond_update_msg")))
                assert body["userids"] == [user] and body["template_card"]["button_list"] == [
                    {"text": f"已作答：{key}", "style": 2, "key": f"{judge['task_id']}:locked"}]
            await server.say("u3", f"{BOT} 对")
            q3 = await server.wait_for(lambda f: f.get("cmd") in ("aibot_send_msg", "aibot_respond_msg")
                                       and f["body"]["msgtype"] == "template_card", after=mark)
            single = card_of(q3)
            assert "第 2 题答案：对" in card_text(single) and "答对 2 人" in card_text(single)
            assert [b["text"] for b in single["button_list"]] == ["A", "B", "C", "D"]
            assert "最高领导机关" in single["sub_title_text"]

            # Q3: one click, then the deadline: the reveal and the results, one push
            req = await server.click("u1", single, key=f"{single['task_id']}:A")
            assert update_of(await server.wait_for(reply_to(req, "aibot_respond_update_msg")))["userids"] == ["u1"]
            mark = len(server.received)
            clock.set(clock.now() + timedelta(seconds=5))
            results = await server.wait_for(lambda f: pushed("markdown")(f) and "竞赛结束" in content(f),
                                            after=mark)
            assert "第 3 题答案" in content(results) and "🥇 u1" in content(results)

            ranking = content(await ask(server, "u1", "排行榜"))
            assert ranking.index("u1") < ranking.index("u3")
            # every frame the bot sent was acked: nothing waits or is re-sent
            assert server.connected and server.subscriptions == 1

    run(scenario())


def test_a_repeated_message_is_answered_once_and_a_lost_reply_is_sent_again(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server):
            first = await ask(server, "u1", "我的积分", msgid="m1", req_id="r1")
            mark = len(server.received)
            await server.say("u1", f"{BOT} 我的积分", msgid="m1", req_id="r1")  # the very same frame
            # WeCom asking again with a new req_id: our reply may have been lost: the same reply again
            await server.say("u1", f"{BOT} 我的积分", msgid="m1", req_id="r2")
            second = await server.wait_for(reply_to("r2"))  # after the very same frame: handled in order
            assert second["body"] == first["body"]
            assert [f["headers"]["req_id"] for f in server.frames("aibot_respond_msg", after=mark)] == ["r2"]

    run(scenario())


# ----- the connection -----


def test_a_dropped_connection_reconnects_and_the_contest_goes_on(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sleeps = Sleeps()

    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, clock, server,
                                                            sleeps=sleeps) as (app, adapter):
            enrol(app, "u1", "u2", branch="g1", channel="wecom")  # a scored contest; nobody answers Q1
            await ask(server, "u1", "开始竞赛 测试题库 2 5秒")
            vote = card_of(await server.wait_for(pushed("template_card")))
            mark = len(server.received)
            await server.drop()
            # the deadline passes while the bot is offline: the reveal with Q2 waits in the queue
            clock.set(clock.now() + timedelta(seconds=5))
            delay = await sleeps.waiting(backoff)
            assert 0.5 <= delay <= 1.0  # half to all of the 1 s base: backoff, not a tight loop
            assert not server.connected and server.connections == 1 and not server.frames("aibot_send_msg", mark)
            await sleeps.end(backoff)
            await server.wait_connected(count=2)
            judge = card_of(await server.wait_for(pushed("template_card"), after=mark))
            assert "第 1 题答案" in card_text(judge) and "本题无人作答" in card_text(judge)
            assert judge["task_id"] != vote["task_id"]
            # the contest goes on over the new connection: u1's tap shows on their card
            req = await server.click("u1", judge, key=f"{judge['task_id']}:对")
            update = update_of(await server.wait_for(reply_to(req, "aibot_respond_update_msg")))
            assert update["userids"] == ["u1"] and update["template_card"]["button_list"][0]["text"] == "已作答：对"
            clock.set(clock.now() + timedelta(seconds=5))
            results = await server.wait_for(lambda f: pushed("markdown")(f) and "竞赛结束" in content(f), after=mark)
            assert "第 2 题答案" in content(results) and "🥇 u1" in content(results)

    run(scenario())


def test_a_push_whose_connection_is_lost_before_the_ack_is_sent_again_at_most_once(tmp_path: Path) -> None:
    """The outbox's push fails as "may have reached the chat" (the outbox decides what comes next);
    a timer's message is sent again on the next connection, once, never a third time."""
    sleeps = Sleeps()

    async def reconnect(server: FakeWeComServer, count: int) -> None:
        await server.drop()
        await sleeps.end(backoff)
        await server.wait_connected(count=count)

    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server,
                                                            sleeps=sleeps) as (app, adapter):
            server.ack_sends = False  # WeCom stalls: it takes the frames and never acks them
            delivering = asyncio.create_task(adapter.deliver(Outgoing(G1, "📖 学习推送", key="study:g1")))
            await server.wait_for(lambda f: pushed()(f) and content(f) == "📖 学习推送")
            adapter.send(Outgoing(G1, "⏰ 答案揭晓"))
            await server.wait_for(lambda f: pushed()(f) and content(f) == "⏰ 答案揭晓")
            await reconnect(server, 2)
            with pytest.raises(NotDelivered) as failure:
                await delivering
            assert failure.value.maybe_received
            await server.wait_for(lambda f: pushed()(f) and content(f) == "⏰ 答案揭晓", after=3)
            await reconnect(server, 3)
            server.ack_sends = True
            adapter.send(Outgoing(G1, "下一题"))  # queued behind anything sent again: the queue keeps order
            await server.wait_for(lambda f: pushed()(f) and content(f) == "下一题")
            assert [content(f) for f in server.frames("aibot_send_msg")] == [
                "📖 学习推送", "⏰ 答案揭晓", "⏰ 答案揭晓", "下一题"]

    run(scenario())


def test_pings_keep_the_connection_and_two_unanswered_in_a_row_replace_it(tmp_path: Path) -> None:
    sleeps = Sleeps()

    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server, backoff_base=0.05,
                                                            sleeps=sleeps):
            for count in (1, 2):
                mark = len(server.received)
                await sleeps.end(ping_interval)
                ping = await server.wait_for(lambda f: f.get("cmd") == "ping", after=mark)
                await server.wait_acked(ping["headers"]["req_id"])
                await settled(server)  # a later frame answered: the client has read the ping's answer
                assert len(server.frames("ping")) == count
            assert all(set(p) == {"cmd", "headers"} for p in server.frames("ping"))
            assert server.subscriptions == 1
            server.ack_pings = False  # a silent, half-dead connection
            await sleeps.end(ping_interval)
            await server.wait_until(lambda: len(server.frames("ping")) == 3, what="the third ping")
            await sleeps.end(ping_interval)  # one missed: WeCom's SDKs ping again
            await server.wait_until(lambda: len(server.frames("ping")) == 4, what="the fourth ping")
            assert server.subscriptions == 1
            await sleeps.end(ping_interval)  # the second missed in a row: replaced
            assert 0.025 <= await sleeps.end(backoff) <= 0.05
            await server.wait_connected(count=2)
            mark = len(server.received)
            await sleeps.end(ping_interval)
            await server.wait_for(lambda f: f.get("cmd") == "ping", after=mark)  # pinging the new one

    run(scenario())


def test_a_click_on_an_older_question_tells_the_core_which_question_it_was(tmp_path: Path) -> None:
    """The core, not the adapter, decides that a click on an older card answers nothing (a 填空 is
    open now): the adapter passes the card's question and shows the core's note on that card."""
    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server) as (app, adapter):
            seen: list[Incoming] = []

            def core(incoming: Incoming) -> list[Outgoing]:
                seen.append(incoming)
                return [Outgoing(incoming.chat, "该题已结束", private_to=incoming.sender.user_id,
                                 about=incoming.question_key or "")]

            app.handle = core  # type: ignore[method-assign]  # the adapter is under test
            adapter.send(Outgoing(G1, "第 1 题\n选？", choices=("A", "B"), key="contest:5:q0"))
            old = card_of(await server.wait_for(pushed("template_card")))
            adapter.send(Outgoing(G1, "第 2 题\n填空：（）", key="contest:5:q1"))
            await server.wait_for(lambda f: pushed("markdown")(f) and "填空" in content(f))
            req = await server.click("u1", old, key=f"{old['task_id']}:A")
            closed = update_of(await server.wait_for(reply_to(req, "aibot_respond_update_msg")))
            assert closed["userids"] == ["u1"] and closed["template_card"]["button_list"][0]["text"] == "本题已结束"
            assert closed["template_card"]["main_title"]["desc"] == "该题已结束"
            assert (seen[-1].button, seen[-1].question_key, seen[-1].text) == ("A", "contest:5:q0", "A")

    run(scenario())


def test_failed_connections_back_off_exponentially(tmp_path: Path) -> None:
    sleeps = Sleeps()

    async def scenario() -> None:
        async with FakeWeComServer() as server:
            server.fail_next = 4
            app = make_app(tmp_path, ManualClock(T0), wecom={"corp_id": "x", "robot": {
                "mode": "websocket", "bot_id": "B", "secret": "S", "ws_url": server.url}})
            adapter = WeComRobotWS(app=app, settings=app.settings.wecom.robot, seed=7, backoff_base=0.05,
                                   backoff_max=0.4, sleep=sleeps.sleep, clock=sleeps.clock)
            async with serving(app, adapter):
                # waits of 0.025–0.05, 0.05–0.1, 0.1–0.2 and 0.2–0.4 s, one connection attempt each
                for attempt, ceiling in enumerate([0.05, 0.1, 0.2, 0.4], start=1):
                    delay = await sleeps.waiting(backoff)
                    assert ceiling / 2 <= delay <= ceiling and server.connections == attempt
                    await sleeps.end(backoff)
                await server.wait_connected()
                assert server.connections == 5

    run(scenario())


def test_backoff_doubles_to_a_cap_with_jitter() -> None:
    rng = random.Random(3)
    for attempt, ceiling in enumerate([1, 2, 4, 8, 16, 32, 60, 60, 60]):
        delays = {backoff_delay(attempt, base=1.0, cap=60.0, rng=rng) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays) and len(delays) > 1


def test_wrong_secret_is_not_retried_quickly_and_never_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sleeps = Sleeps()

    async def scenario() -> None:
        async with FakeWeComServer(secret="other") as server:
            app = make_app(tmp_path, ManualClock(T0), wecom={"corp_id": "x", "robot": {
                "mode": "websocket", "bot_id": "B", "secret": "S3cr3t-value", "ws_url": server.url}})
            adapter = WeComRobotWS(app=app, settings=app.settings.wecom.robot, backoff_base=0.01, backoff_max=0.5,
                                   sleep=sleeps.sleep, clock=sleeps.clock)
            await adapter.start()
            delay = await sleeps.waiting(backoff)
            await adapter.stop()
            app.close()
            assert server.refused == 1
            assert 0.25 <= delay <= 0.5  # the next try waits for the cap (0.25–0.5 s here, 30–60 s for real)

    with caplog.at_level(logging.DEBUG):
        run(scenario())
    assert "aibot_subscribe refused (errcode 853000" in caplog.text
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("websockets.server")]  # not the fake's
    assert ours and not any("S3cr3t-value" in line for line in ours)


def test_disconnected_event_stops_the_client_for_good(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    sleeps = Sleeps()

    async def scenario() -> None:
        async with FakeWeComServer() as server:
            async with running_bot(tmp_path, ManualClock(T0), server, backoff_base=0.05,
                                   sleeps=sleeps) as (app, adapter):
                await server.event("disconnected_event")
                await server.wait_until(lambda: not server.connected, what="the client closing")
                adapter.send(Outgoing(G1, "nobody hears this"))  # queued, not sent, not crashing
            assert server.connections == 1 and not server.frames("aibot_send_msg")
            assert not [s for s in sleeps.asked if backoff(s)]  # it never waited to reconnect

    with caplog.at_level(logging.INFO, logger="bot.channels.wecom"):
        run(scenario())
    taken = [r for r in caplog.records if "took over" in r.getMessage()]
    assert len(taken) == 1 and taken[0].levelno == logging.ERROR
    assert "reconnecting in" not in caplog.text
    assert "stopped with 1 message(s) not delivered" in caplog.text


def test_malformed_frames_are_logged_once_each_and_survived(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bad = [
        "not json",
        "[1, 2]",
        json.dumps({"cmd": "aibot_msg_callback", "headers": {"req_id": "x1"}}),
        json.dumps({"cmd": "aibot_no_such_cmd", "headers": {"req_id": "x2"}, "body": {}}),
        json.dumps({"cmd": "aibot_msg_callback", "body": {"msgid": "m", "msgtype": "text"}}),
        json.dumps({"cmd": "aibot_msg_callback", "headers": {"req_id": "x3"},
                    "body": {"msgid": "m", "chattype": "group", "chatid": "g1", "msgtype": "text"}}),
        json.dumps({"cmd": "aibot_msg_callback", "headers": {"req_id": "x4"},
                    "body": {"msgid": "m", "from": {"userid": "u1"}, "chattype": "group", "msgtype": "text",
                             "text": {"content": "@学习助手 帮助"}}}),
        json.dumps({"cmd": "aibot_event_callback", "headers": {"req_id": "x5"},
                    "body": {"from": {"userid": "u1"}, "event": {"eventtype": "template_card_event"}}}),
        b"\x00\xff binary",
    ]

    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server) as (app, adapter):
            for frame in bad:
                await server.push_raw(frame)
            answer = await ask(server, "u1", "帮助")
            assert "开始竞赛" in content(answer)
            # a mixed message: its text items, the leading @ stripped
            req = await server.push("aibot_msg_callback", {
                "msgid": "mixed1", "chattype": "single", "from": {"userid": "u1"}, "msgtype": "mixed",
                "mixed": {"msg_item": [{"msgtype": "text", "text": {"content": "@学习助手\u2005我的"}},
                                       {"msgtype": "image", "image": {"url": "http://127.0.0.1/x"}},
                                       {"msgtype": "text", "text": {"content": "积分"}}]}})
            assert "积分" in content(await server.wait_for(reply_to(req)))
            assert server.connected and server.connections == 1

    with caplog.at_level(logging.WARNING, logger="bot.channels.wecom"):
        run(scenario())
    malformed = [r for r in caplog.records if "malformed frame" in r.getMessage()]
    assert len(malformed) == len(bad)


def test_enter_chat_gets_a_welcome(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server):
            req = await server.event("enter_chat", user="u9", chattype="single")
            welcome = await server.wait_for(reply_to(req, "aibot_respond_welcome_msg"))
            assert welcome["body"]["msgtype"] == "text" and "发送「帮助」查看命令" in content(welcome)

    run(scenario())


# ----- pushing -----


def test_pushes_keep_thirty_a_minute_per_conversation_by_waiting(tmp_path: Path) -> None:
    sleeps = Sleeps()

    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server, limits=((3, 0.6),),
                                                            sleeps=sleeps) as (app, adapter):
            for i in range(5):
                adapter.send(Outgoing(G1, f"通知 {i}"))
            adapter.send(Outgoing(Chat("wecom", "u7", False, ""), "私聊通知"))
            private = await server.wait_for(lambda f: pushed("markdown")(f) and f["body"]["chat_type"] == 1)
            assert private["body"]["chatid"] == "u7"
            assert await sleeps.waiting(backoff) == pytest.approx(0.6)  # g1 waits for its window to move on
            g1 = [content(f) for f in server.frames("aibot_send_msg") if f["body"]["chatid"] == "g1"]
            assert g1 == ["通知 0", "通知 1", "通知 2"]  # the private one was not held up behind g1's queue
            started = sleeps.now
            await sleeps.end(backoff)
            fifth = await server.wait_for(lambda f: pushed()(f) and content(f) == "通知 4")
            assert sleeps.now - started == pytest.approx(0.6)
            assert [content(f) for f in server.frames("aibot_send_msg") if f["body"]["chatid"] == "g1"] == [
                f"通知 {i}" for i in range(5)]
            assert fifth["body"] == {"chatid": "g1", "chat_type": 2, "msgtype": "markdown",
                                     "markdown": {"content": "通知 4"}}

    run(scenario())


def test_a_question_no_card_fits_goes_as_text(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server) as (app, adapter):
            adapter.send(Outgoing(G1, "第 1 题\n选哪个？", choices=tuple("ABCDEFG"), key="contest:9:q0"))
            adapter.send(Outgoing(G1, "第 2 题\n填空：（）", key="contest:9:q1"))
            first = await server.wait_for(pushed("markdown"))
            assert content(first).endswith("@我 回复 A/B/C/D/E/F/G")
            second = await server.wait_for(lambda f: pushed("markdown")(f) and "填空" in content(f))
            assert content(second) == "第 2 题\n填空：（）"

    run(scenario())


# ----- the cards themselves (pure) -----


def test_task_ids_are_unique_short_and_of_allowed_characters() -> None:
    task_id = cards.make_task_id("contest:12:q3/关于 三会" + "x" * 300, "18c0a1")
    assert len(task_id.encode()) <= 128 and task_id.endswith("@18c0a1")
    assert all(c.isascii() and (c.isalnum() or c in "_-@") for c in task_id)
    # the question's key reads back from the id (a tap tells the core which question's card it was)
    for key in ("contest:1:q0", "contest:12:q3/关于 三会", "daily_2026-12-06", ""):
        assert cards.question_of(cards.make_task_id(key, "a")) == key
    assert cards.make_task_id("contest:1:q0", "a") == "contest_3A1_3Aq0@a"
    # an id we did not make reaches the core as it came
    assert cards.question_of("forged_zz@1") == "forged_zz@1" and cards.question_of("nothing") == "nothing"


def test_cards_for_each_kind_of_question() -> None:
    single = Outgoing(G1, "📝 第 1/3 题（单选）\n题干\nA. 甲\nB. 乙\n请回复选项字母，如 A", choices=("A", "B"))
    card = cards.question_card(single, "t@1")
    assert card["card_type"] == "button_interaction" and card["task_id"] == "t@1"
    assert card["main_title"]["title"] == "📝 第 1/3 题（单选）" and "A. 甲" in card["sub_title_text"]
    assert card["button_list"][1] == {"text": "B", "style": 1, "key": "t@1:B"}
    judge = cards.question_card(Outgoing(G1, "判断\n对吗", choices=("对", "错")), "t@2")
    assert [b["key"] for b in judge["button_list"]] == ["t@2:对", "t@2:错"]
    assert cards.question_card(Outgoing(G1, "x", choices=tuple("ABCDEFG")), "t@3") is None  # > 6 buttons
    assert cards.question_card(Outgoing(G1, "x", choices=tuple("ABCDEFG"), multiple=True), "t@4") is not None
    assert cards.question_card(Outgoing(G1, "填空"), "t@5") is None
    assert cards.question_card(Outgoing(G1, "x", choices=("A", "A")), "t@6") is None


def test_clicks_parse_with_either_spelling() -> None:
    underscored = {"eventtype": "template_card_event", "template_card_event": {
        "card_type": "vote_interaction", "event_key": "t@1:submit", "task_id": "t@1",
        "selected_items": {"selected_item": [{"question_key": "answer", "option_ids": {"option_id": ["C", "A"]}}]}}}
    assert cards.parse_card_event(underscored) == cards.CardClick("t@1", "vote_interaction", "t@1:submit", "AC")
    squashed = {"eventtype": "template_card_event", "templatecardevent": {
        "cardtype": "button_interaction", "eventkey": "t@2:对", "taskid": "t@2"}}
    assert cards.parse_card_event(squashed).answer == "对"
    locked = {"template_card_event": {"card_type": "button_interaction", "event_key": "t@2:locked", "task_id": "t@2"}}
    assert cards.parse_card_event(locked).answer == ""
    assert cards.parse_card_event({"template_card_event": {"event_key": "x"}}) is None


def test_split_markdown_keeps_pieces_under_the_limit() -> None:
    text = "\n".join(f"第 {i} 行，党建积分" for i in range(400))
    pieces = split_text(text, 1000)
    assert all(len(p.encode()) <= 1000 for p in pieces) and "\n".join(pieces) == text
    assert all(len(p.encode()) <= 10 for p in split_text("党" * 20, 10))


def test_an_outbox_push_counts_as_sent_only_once_wecom_acks_it(tmp_path: Path) -> None:
    from sqlmodel import select

    from bot.storage.models import OutboxRow
    from bot.storage.outbox import Push, enqueue

    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server) as (app, adapter):
            app.schedule.jobs.real = True  # as under `studybot run`: the async worker sends the outbox
            now = app.clock.now()
            server.refuse_sends = 1  # the first frame is refused: one attempt, retried by the outbox alone
            with app.db.session() as session:
                enqueue(session=session, now=now, pushes=[Push(
                    key="study:g1", kind="study", channel="wecom", chat_id="g1", chat_name="学习群", is_group=True,
                    text="📖 三会一课制度要点", due_at=now)])
                session.commit()
            await app.schedule.outbox.run_once()
            with app.db.session() as session:
                row = session.exec(select(OutboxRow)).one()
            assert (row.status, row.attempts) == ("pending", 1) and "errcode 45009" in row.last_error
            app.clock.set(now + timedelta(minutes=1))
            await app.schedule.outbox.run_once()
            with app.db.session() as session:
                row = session.exec(select(OutboxRow)).one()
            assert (row.status, row.attempts) == ("sent", 2)
            sends = [f for f in server.frames("aibot_send_msg") if "三会一课" in content(f)]
            assert len(sends) == 2  # one refused, one taken: what the outbox counted

    run(scenario(), timeout=30)
