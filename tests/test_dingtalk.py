"""DingTalk Stream mode, end to end: the whole bot and the real `dingtalk_stream` client against a
fake gateway on 127.0.0.1 (tests/fakes/dingtalk_gateway.py): connection opened over HTTP, frames
pushed over the websocket and acked at once, replies posted to the fake session webhook.

Time: contests run on a ManualClock; `tick_timers` (the service's own ticker) fires deadlines
when a test moves the clock. A test that checks nothing more happened first waits for a later
frame's reply: frames are handled, and replies sent, in order. Each test runs its own event loop
(asyncio.run)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from fakes.dingtalk_gateway import FakeDingTalkGateway, param_text, text_of
from helpers import T0, enrol, make_app, serving

from bot.app import App
from bot.channels.dingtalk.channel import DingTalkChannel
from bot.clock import ManualClock

# the test bank's answers, by a piece of each question
ANSWERS = {"最高领导机关": "A", "预备期": "B", "三会": "ABC", "纪律处分": "AC", "退党": "对", "留党察看": "错",
           "思想路线": "实事求是", "中共一大": "南湖"}


def run(coro: Any, timeout: float = 20.0) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextlib.asynccontextmanager
async def running_bot(tmp_path: Path, clock: ManualClock,
                      gateway: FakeDingTalkGateway) -> AsyncIterator[tuple[App, DingTalkChannel]]:
    app = make_app(tmp_path, clock)
    adapter = DingTalkChannel(app=app, client_id="ding-id", client_secret="ding-secret",
                              openapi_endpoint=gateway.endpoint)
    async with serving(app, adapter):
        await gateway.wait_connected()
        yield app, adapter


def has(fragment: str) -> Any:
    return lambda body: fragment in text_of(body)


def answer_for(question_text: str) -> str:
    for key, answer in ANSWERS.items():
        if key in question_text:
            return answer
    raise AssertionError(f"unknown question: {question_text}")


async def say(gateway: FakeDingTalkGateway, user: str, text: str, **kw: Any) -> str:
    """`user` @-s the robot in the group; returns the stream messageId, once acked."""
    stream_id = await gateway.push(gateway.chatbot_data(user, text, **kw))
    ack = await gateway.wait_ack(stream_id)
    assert ack["code"] == 200
    return stream_id


async def settled(gateway: FakeDingTalkGateway, *, after: int = 0) -> None:
    """u3 asks for 帮助 and is answered: every frame pushed before has been handled and its replies
    sent (frames are handled one at a time, replies sent in order)."""
    mark = gateway.reply_count()
    await say(gateway, "u3", "帮助")
    await gateway.wait_for(has("开始竞赛"), after=max(mark, after))


def test_a_timed_contest_played_by_typed_answers(tmp_path: Path) -> None:
    clock = ManualClock(T0)

    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, running_bot(tmp_path, clock, gateway) as (app, _):
            opened = gateway.opens[0]
            assert opened["clientId"] == "ding-id" and opened["localIp"] == "127.0.0.1"
            assert {"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"} in opened["subscriptions"]
            # the roster puts u1 (书记: a scored contest) and u2, u3 in the branch: a question waits for all three
            enrol(app, "u1", "u2", "u3", channel="dingtalk")

            mark = gateway.reply_count()
            await say(gateway, "u1", "开始竞赛 测试题库 2 5秒")
            conversation, _ = await gateway.wait_for(has("发起了知识竞赛：测试题库，共 2 题"), after=mark)
            assert conversation == "cid-g1"
            _, q1 = await gateway.wait_for(has("第 1/2 题"), after=mark)
            a1 = answer_for(text_of(q1))

            # u1 right, u2 wrong; u2's frame delivered twice gives one answer; a group of three sees each answer
            mark = gateway.reply_count()
            await say(gateway, "u1", a1)
            await gateway.wait_for(has("u1 已作答第 1 题"), after=mark)
            wrong = "D" if a1 not in ("对", "错") else ("错" if a1 == "对" else "对")
            for _ in range(2):
                await say(gateway, "u2", wrong, msg_id="dup-u2-q1")
            await gateway.wait_for(has("u2 已作答第 1 题"), after=mark)
            await settled(gateway, after=mark)
            assert sum("u2 已作答" in text_of(b) for _, b in gateway.replies_since(mark)) == 1
            assert not any("第 1 题答案" in text_of(b) for _, b in gateway.replies_since(mark))  # u3 is awaited

            # the deadline passes: one message, the reveal and Q2, pushed through the session webhook
            mark = gateway.reply_count()
            clock.set(clock.now() + timedelta(seconds=5))
            _, step = await gateway.wait_for(has("第 1 题答案"), after=mark)
            assert "答对 1 人：u1" in text_of(step) and "第 2/2 题" in text_of(step)
            a2 = answer_for(text_of(step).split("第 2/2 题")[1])

            # all three answer Q2: it closes at once, the reveal and the results in one message
            mark = gateway.reply_count()
            for user in ("u1", "u2", "u3"):
                await say(gateway, user, a2)
            _, results = await gateway.wait_for(has("竞赛结束"), after=mark)
            assert "第 2 题答案" in text_of(results) and "🥇 u1" in text_of(results)
            await settled(gateway, after=mark)
            # the reveal is a contest step: it may overtake the acknowledgements still waiting in the send lane
            assert sorted(text_of(b) for _, b in gateway.replies_since(mark) if "👋" not in text_of(b)) == sorted([
                "u1 已作答第 2 题，答案揭晓前不可更改。", "u2 已作答第 2 题，答案揭晓前不可更改。", text_of(results)])

            mark = gateway.reply_count()
            await say(gateway, "u1", "排行榜")
            _, ranking = await gateway.wait_for(has("u3"), after=mark)
            assert text_of(ranking).index("u1") < text_of(ranking).index("u3")
            assert len(gateway.opens) == 1  # one connection throughout

    run(scenario())


def test_a_private_message_is_answered_in_the_private_chat(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, running_bot(tmp_path, ManualClock(T0), gateway):
            await say(gateway, "u9", "帮助", group=False, conversation="cid-u9")
            conversation, body = await gateway.wait_for(has("开始竞赛"))
            assert conversation == "cid-u9"

    run(scenario())


def test_a_malformed_frame_is_acked_and_the_bot_goes_on(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, running_bot(tmp_path, ManualClock(T0), gateway):
            bad = await gateway.push({"msgtype": "text", "text": {"content": "帮助"}})  # no msgId, no conversation
            assert (await gateway.wait_ack(bad))["code"] == 200
            await say(gateway, "u1", "帮助")
            await gateway.wait_for(has("开始竞赛"))
            assert gateway.reply_count() == 1

    run(scenario())


def test_the_ack_goes_out_at_once_even_when_the_reply_is_slow(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, running_bot(tmp_path, ManualClock(T0), gateway):
            gateway.hold_session_webhooks()  # DingTalk takes its time to answer the reply's post
            first = await gateway.push(gateway.chatbot_data("u1", "帮助"))
            await gateway.wait_ack(first)
            await gateway.wait_held()  # the reply's post is under way and unanswered
            second = await gateway.push(gateway.chatbot_data("u2", "帮助"))
            await gateway.wait_ack(second)  # the blocking post holds up neither the loop nor the acks
            assert gateway.reply_count() == 0
            gateway.release_session_webhooks()
            await gateway.wait_for(has("开始竞赛"), timeout=5)

    run(scenario())


def test_an_expired_session_webhook_is_not_used(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, running_bot(tmp_path, ManualClock(T0), gateway):
            gateway.webhook_expiry_ms = -1000  # already past: the answer goes through the OpenAPI
            await say(gateway, "u1", "帮助")
            await gateway.wait_for_send(sent_has("开始竞赛"))
            assert gateway.reply_count() == 0
            gateway.webhook_expiry_ms = 90 * 60 * 1000  # a fresh one on the next message: answered there
            sends = gateway.send_count()
            await say(gateway, "u1", "我的积分")
            await gateway.wait_for(lambda body: True)
            assert gateway.send_count() == sends

    run(scenario())


def sent_has(fragment: str) -> Any:
    return lambda body: fragment in param_text(body)


def check_send_body(body: dict[str, Any]) -> dict[str, Any]:
    """The body's common fields right; its msgParam, parsed."""
    assert body["robotCode"] == "ding-id"  # an enterprise internal robot's code is its AppKey
    param = json.loads(body["msgParam"])
    if body["msgKey"] == "sampleMarkdown":
        assert set(param) == {"title", "text"} and param["title"]
    else:
        assert body["msgKey"] == "sampleText" and set(param) == {"content"}
    assert len(body["msgParam"].encode("utf-8")) <= 15_000
    return param


def test_a_contest_step_after_the_session_webhook_expired_goes_through_the_openapi(tmp_path: Path) -> None:
    clock = ManualClock(T0)

    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, running_bot(tmp_path, clock, gateway) as (app, _):
            enrol(app, "u1", "u2", "u3", channel="dingtalk")  # u1's answer alone does not close a question
            mark = gateway.reply_count()
            await say(gateway, "u1", "开始竞赛 测试题库 2 5秒")
            _, q1 = await gateway.wait_for(has("第 1/2 题"), after=mark)
            assert gateway.send_count() == 0 and gateway.token_requests == []

            # u1 answers with a session webhook that has already expired: the conversation has no fresh one
            gateway.webhook_expiry_ms = -1000
            replies = gateway.reply_count()
            await say(gateway, "u1", answer_for(text_of(q1)))
            await gateway.wait_for_send(sent_has("u1 已作答第 1 题"))

            # the deadline passes: the reveal and Q2, one message pushed by the timer, reach groupMessages/send
            clock.set(clock.now() + timedelta(seconds=5))
            path, token, step = await gateway.wait_for_send(sent_has("第 1 题答案"))
            assert path == "/v1.0/robot/groupMessages/send"
            assert step["openConversationId"] == "cid-g1"
            assert token == "tok-1"
            assert "答对 1 人：u1" in param_text(step) and "第 2/2 题" in param_text(step)
            check_send_body(step)

            assert gateway.reply_count() == replies  # nothing went to the expired session webhook
            assert [param_text(body) for _, _, body in gateway.sends_since(0)] == [
                "u1 已作答第 1 题，答案揭晓前不可更改。", param_text(step)]
            assert len(gateway.token_requests) == 1  # one token for all the sends
            assert gateway.token_requests[0] == {"appKey": "ding-id", "appSecret": "ding-secret"}

    run(scenario())


def test_a_private_reply_after_expiry_goes_through_batch_send(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, running_bot(tmp_path, ManualClock(T0), gateway):
            gateway.webhook_expiry_ms = -1000
            await say(gateway, "u9", "帮助", group=False, conversation="cid-u9")
            path, token, body = await gateway.wait_for_send(sent_has("开始竞赛"))
            assert path == "/v1.0/robot/oToMessages/batchSend"
            assert body["userIds"] == ["u9"] and "openConversationId" not in body
            assert token == "tok-1"
            check_send_body(body)
            await say(gateway, "u9", "我的积分", group=False, conversation="cid-u9")
            await gateway.wait_for_send(lambda b: True, after=1)
            assert len(gateway.token_requests) == 1
            assert gateway.reply_count() == 0

    run(scenario())


def test_a_session_webhook_answering_300001_falls_back_and_a_revoked_token_is_renewed(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, running_bot(tmp_path, ManualClock(T0), gateway):
            gateway.webhook_errcode = 300001  # expiry time in the future, yet DingTalk says it is invalid
            await say(gateway, "u1", "帮助")
            path, token, body = await gateway.wait_for_send(sent_has("开始竞赛"))
            assert path == "/v1.0/robot/groupMessages/send" and token == "tok-1"
            assert body["openConversationId"] == "cid-g1"
            gateway.revoke_tokens()  # the cached token stops working: fetched again, the send retried once
            mark = gateway.send_count()
            await say(gateway, "u1", "帮助")
            _, token, _ = await gateway.wait_for_send(sent_has("开始竞赛"), after=mark)
            assert token == "tok-2" and len(gateway.token_requests) == 2
            assert gateway.reply_count() == 0

    run(scenario())
