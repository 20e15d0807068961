"""DingTalk's HTTP answers, read as DingTalk means them (issue 13), against the fake gateway
(tests/fakes/dingtalk_gateway.py): 403s for a rate limit, a used-up quota and a missing permission;
createAndDeliver's failed deliverResults; batchSend's flow-controlled and invalid staff ids; session
webhook errcodes; members without a staff id. Time is the test's: the OpenAPI's clock and sleeps, the
sender's sleeps and the outbox's clock are injected."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fakes.dingtalk_gateway import (
    GROUP_SEND_PATH,
    NO_PERMISSION,
    PRIVATE_SEND_PATH,
    QUOTA_USED_UP,
    RATE_LIMITED,
    FakeDingTalkGateway,
    param_text,
    text_of,
)
from helpers import T0
from sqlmodel import select

from bot.channels.base import NotDelivered
from bot.channels.dingtalk.openapi import DingTalkOpenAPI, RateLimited
from bot.channels.dingtalk.replies import NO_STAFF_ID_NOTE, SessionWebhooks
from bot.channels.dingtalk.sending import Outbound
from bot.channels.dingtalk.taps import CardBook
from bot.clock import ManualClock
from bot.jobs.outbox_worker import OutboxWorker
from bot.messages import Chat, Outgoing
from bot.storage.db import Database
from bot.storage.models import OutboxRow
from bot.storage.outbox import Push, enqueue

GROUP = Chat("dingtalk", "cid-g1", True, name="第一党支部")
PERSON = Chat("dingtalk", "u9", False)


class Time:
    """A monotonic clock that only the sleeps move; every sleep is noted."""

    def __init__(self) -> None:
        self.now, self.slept = 1000.0, []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def openapi(gateway: FakeDingTalkGateway, time: Time) -> DingTalkOpenAPI:
    return DingTalkOpenAPI(app_key="ding-id", app_secret="ding-secret", endpoint=gateway.endpoint, clock=time,
                           sleep=time.sleep)


def outbound(api: DingTalkOpenAPI, time: Time, template: str = "") -> Outbound:
    return Outbound(openapi=api, template=template, robots={}, robot_webhook=None, sessions=SessionWebhooks(),
                    book=CardBook(), sleep=time.asleep)


def with_gateway(scenario: Callable[[FakeDingTalkGateway, Time], Awaitable[None]]) -> None:
    async def main() -> None:
        async with FakeDingTalkGateway() as gateway:
            await scenario(gateway, Time())
    asyncio.run(asyncio.wait_for(main(), 20))


# ----- item 3: 403 is not an expired token -----

def test_a_rate_limit_403_keeps_the_token_pauses_the_api_and_a_reply_is_tried_again() -> None:
    async def scenario(gateway: FakeDingTalkGateway, time: Time) -> None:
        api = openapi(gateway, time)
        gateway.script(GROUP_SEND_PATH, RATE_LIMITED)
        with pytest.raises(RateLimited) as failure:  # a push: the outbox tries again, not the channel
            await outbound(api, time).send("", Outgoing(GROUP, "学习推送"), confirmed=True)
        assert not (failure.value.refused or failure.value.maybe_received or failure.value.held)
        assert len(gateway.token_requests) == 1  # a 403 is not a stale token
        gateway.script(GROUP_SEND_PATH, RATE_LIMITED)
        await outbound(api, time).send("", Outgoing(GROUP, "u1 已作答"))  # a reply: the sender tries again
        assert [param_text(body) for _, _, body in gateway.sends_since(0)] == ["u1 已作答"]
        assert gateway.openapi_calls == [GROUP_SEND_PATH] * 3 and len(gateway.token_requests) == 1
        assert time.slept == [1.0, 1.0]  # the API paused a second after each 403; the retry's own 1 s

    with_gateway(scenario)


def test_calls_are_paced_under_20_a_second_per_api() -> None:
    async def scenario(gateway: FakeDingTalkGateway, time: Time) -> None:
        api = openapi(gateway, time)
        times = []
        for n in range(45):
            await asyncio.to_thread(api.send_group, "cid-g1", "sampleText", f'{{"content": "第{n}条"}}')
            times.append(time.now)
        assert gateway.send_count() == 45
        assert all(later - first >= 1.0 for first, later in zip(times, times[19:]))  # never 20 within a second
        assert times[-1] - times[0] < 3.0  # but not slower than it needs

    with_gateway(scenario)


def test_a_used_up_quota_holds_every_api_keeps_the_push_pending_and_tells_the_admins_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock(T0)
    db = Database(f"sqlite:///{tmp_path}/t.db")
    db.create_schema()
    with db.session() as session:
        enqueue(session=session, now=clock.now(), pushes=[Push(
            key="study:1", kind="study", channel="dingtalk", chat_id="cid-g1", chat_name="第一党支部", is_group=True,
            text="📖 学习推送", due_at=clock.now())])
        session.commit()

    async def scenario(gateway: FakeDingTalkGateway, time: Time) -> None:
        api = DingTalkOpenAPI(app_key="ding-id", app_secret="ding-secret", endpoint=gateway.endpoint,
                              clock=lambda: clock.now().timestamp(), sleep=time.sleep)
        out = outbound(api, time)

        class Channel:
            name = "dingtalk"

            async def deliver(self, message: Outgoing) -> None:
                await out.send("", message, confirmed=True)

        gateway.script(GROUP_SEND_PATH, QUOTA_USED_UP)
        worker = OutboxWorker(db=db, channels=lambda: {"dingtalk": Channel()}, now=clock.now, sleep=clock.sleep)
        await worker.run_once()
        with db.session() as session:
            row = session.exec(select(OutboxRow)).one()
        assert (row.status, row.attempts) == ("pending", 0) and "quota" in (row.last_error or "")
        assert row.due_at == T0 + timedelta(minutes=10)
        with pytest.raises(NotDelivered) as held:  # a card or a reply meanwhile: no request at all
            await out.send("", Outgoing(PERSON, "帮助"), confirmed=True)
        assert held.value.held and gateway.openapi_calls == [GROUP_SEND_PATH]
        while (due := worker.next_due()) is not None:  # looked at every 10 minutes; DingTalk asked after an hour
            clock.set(max(due, clock.now()))
            await worker.run_once()
        with db.session() as session:
            row = session.exec(select(OutboxRow)).one()
        assert (row.status, row.attempts) == ("sent", 1)
        assert gateway.openapi_calls == [GROUP_SEND_PATH] * 2 and clock.now() >= T0 + timedelta(hours=1)
        told = [r for r in caplog.records if r.levelno == logging.ERROR and "quota" in r.getMessage()]
        assert len(told) == 1 and "ApiCountLimitForOrg" in told[0].getMessage()

    with caplog.at_level(logging.INFO):
        with_gateway(scenario)


def test_a_missing_permission_holds_that_api_only() -> None:
    async def scenario(gateway: FakeDingTalkGateway, time: Time) -> None:
        api = openapi(gateway, time)
        gateway.script(PRIVATE_SEND_PATH, NO_PERMISSION)
        for _ in range(2):
            with pytest.raises(NotDelivered) as failure:
                await outbound(api, time).send("", Outgoing(PERSON, "私聊推送"), confirmed=True)
            assert failure.value.held and "permission" in str(failure.value)
        assert gateway.openapi_calls == [PRIVATE_SEND_PATH]  # the second: no request
        await outbound(api, time).send("", Outgoing(GROUP, "群推送"), confirmed=True)
        assert len(gateway.token_requests) == 1 and gateway.send_count() == 1

    with_gateway(scenario)


# ----- item 4: createAndDeliver's success: true -----

def test_a_card_whose_delivery_failed_goes_as_text() -> None:
    async def scenario(gateway: FakeDingTalkGateway, time: Time) -> None:
        gateway.card_deliver_error = "robot not in the group"
        question = Outgoing(GROUP, "第 1/2 题 党的最高领导机关是？", choices=("A", "B"), key="contest:1:q0")
        await outbound(openapi(gateway, time), time, template="tpl").send("", question)
        assert gateway.openapi_calls[0] == "/v1.0/card/instances/createAndDeliver" and gateway.card_sends == []
        assert "党的最高领导机关" in param_text(gateway.sends_since(0)[0][2])

    with_gateway(scenario)


# ----- item 6: batchSend's flow-controlled and invalid staff ids -----

def test_batch_send_lists_flow_controlled_and_invalid_staff_ids(caplog: pytest.LogCaptureFixture) -> None:
    async def scenario(gateway: FakeDingTalkGateway, time: Time) -> None:
        api = openapi(gateway, time)
        gateway.flow_controlled = {"u9"}
        with pytest.raises(RateLimited):  # a push: the outbox tries again later
            await outbound(api, time).send("", Outgoing(PERSON, "私聊推送"), confirmed=True)
        gateway.flow_controlled = {"u9"}
        await outbound(api, time).send("", Outgoing(PERSON, "帮助的回复"))  # a reply: tried again after 1 s
        assert [param_text(b) for _, _, b in gateway.sends_since(0)] == ["帮助的回复"] and time.slept == [1.0]
        gateway.invalid_staff = {"u9"}
        with pytest.raises(NotDelivered) as failure:
            await outbound(api, time).send("", Outgoing(PERSON, "私聊推送"), confirmed=True)
        assert failure.value.refused and "u9" in str(failure.value)
        assert any("invalidStaffIdList" in r.getMessage() and "u9" in r.getMessage() for r in caplog.records)

    with_gateway(scenario)


# ----- item 7: session webhook errcodes -----

def test_session_webhook_errcodes_are_failures_each_with_its_own_handling() -> None:
    async def scenario(gateway: FakeDingTalkGateway, time: Time) -> None:
        api, webhook = openapi(gateway, time), f"{gateway.endpoint}/session/cid-g1"
        gateway.webhook_errcodes = [130101]  # too fast: a reply waits a second and goes the same way
        await outbound(api, time).send(webhook, Outgoing(GROUP, "回复一"))
        assert [text_of(b) for _, b in gateway.replies_since(0)] == ["回复一"] and time.slept == [1.0]
        gateway.webhook_errcodes = [-1]  # busy: a push is not counted as sent
        with pytest.raises(RateLimited):
            await outbound(api, time).send(webhook, Outgoing(GROUP, "推送"), confirmed=True)
        gateway.webhook_errcodes = [400102]  # another refusal: logged, and the next way
        await outbound(api, time).send(webhook, Outgoing(GROUP, "回复二"))
        assert gateway.reply_count() == 1 and param_text(gateway.sends_since(0)[0][2]) == "回复二"

    with_gateway(scenario)


# ----- item 9: a member without senderStaffId -----

def test_a_member_without_a_staff_id_is_told_once_and_answered_only_in_the_conversation(tmp_path: Path) -> None:
    from test_dingtalk import running_bot, say

    async def main() -> None:
        async with FakeDingTalkGateway() as gateway, running_bot(tmp_path, ManualClock(T0), gateway):
            for _ in range(2):
                data = gateway.chatbot_data("ext1", "帮助", group=False, conversation="cid-ext")
                del data["senderStaffId"]
                mark = gateway.reply_count()
                await gateway.wait_ack(await gateway.push(data))
                await gateway.wait_for(lambda b: "开始竞赛" in text_of(b), after=mark)
            mark = gateway.reply_count()
            await say(gateway, "u1", "帮助")  # later frames handled: the notes, if any, were sent
            await gateway.wait_for(lambda b: "开始竞赛" in text_of(b), after=mark)
            notes = [b for _, b in gateway.replies_since(0) if NO_STAFF_ID_NOTE in text_of(b)]
            assert len(notes) == 1
            gateway.webhook_expiry_ms = -1000  # no session webhook left: nothing is pushed to the encrypted id
            data = gateway.chatbot_data("ext1", "帮助", group=False, conversation="cid-ext")
            del data["senderStaffId"]
            await gateway.wait_ack(await gateway.push(data))
            gateway.webhook_expiry_ms = 90 * 60 * 1000
            mark = gateway.reply_count()
            await say(gateway, "u1", "帮助")
            await gateway.wait_for(lambda b: "开始竞赛" in text_of(b), after=mark)
            assert gateway.openapi_calls == []

    asyncio.run(asyncio.wait_for(main(), 20))


def test_no_push_goes_to_an_encrypted_sender_id() -> None:
    async def scenario(gateway: FakeDingTalkGateway, time: Time) -> None:
        with pytest.raises(NotDelivered) as failure:
            await outbound(openapi(gateway, time), time).send(
                "", Outgoing(Chat("dingtalk", "$:LWCP_v1:$abc", False), "私聊推送"), confirmed=True)
        assert failure.value.refused and gateway.openapi_calls == [] and gateway.token_requests == []

    with_gateway(scenario)
