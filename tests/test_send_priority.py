"""Sends by priority (issue 12): one lane per destination, one window, the most urgent message first.

The lane itself on a clock the test drives (`Sleeps`: a wait for the window ends only when the test
ends it), then the same through the real WeCom long-connection client against the fake server and
the real group-webhook clients against fakes on loopback. Nothing here waits for real time."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import pytest
from fakes.http_api import FakeHTTPAPI
from fakes.wecom_api import FakeWeComAPI
from fakes.wecom_ws_server import FakeWeComServer, content, pushed, reply_to
from helpers import T0, Sleeps
from test_wecom_ws import BOT, G1, running_bot

from bot.channels.common.send_lanes import Later, SendLanes
from bot.channels.dingtalk.robot_webhook import DingTalkWebhook
from bot.channels.wecom.webhook import WeComWebhook
from bot.clock import ManualClock
from bot.jobs.outbox_worker import OutboxWorker
from bot.messages import Chat, Outgoing, Priority
from bot.storage.models import OutboxRow

KEY = "hook-key-0123-secret"


def run(coro: Any, timeout: float = 20.0) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))


def window_wait(seconds: float) -> bool:
    """On the long connection: the window's waits (0.6 s below), not the 30 s keepalive or 10 s timeouts."""
    return seconds < 10


def any_wait(seconds: float) -> bool:
    return True  # a lane alone, or a webhook client: every sleep is a window's


class Recorder:
    """A lane's `send`: notes (key, item, time)."""

    def __init__(self, sleeps: Sleeps) -> None:
        self.sleeps, self.sent = sleeps, []

    async def send(self, key: Hashable, item: str) -> None:
        self.sent.append((key, item, self.sleeps.now))

    def items(self, key: Hashable) -> list[str]:
        return [item for k, item, _ in self.sent if k == key]


def most_in_any_window(stamps: list[float], seconds: float) -> int:
    return max((sum(1 for t in stamps if start <= t < start + seconds) for start in stamps), default=0)


async def until(done: Any, sleeps: Sleeps, match: Any = any_wait) -> None:
    """End the lanes' window waits until `done()` (between them, the loop runs what they let go)."""
    while not done():
        if any(match(seconds) for seconds in sleeps.pending()):
            await sleeps.end(match)
        else:
            await asyncio.sleep(0)


# ----- the lane -----


def test_a_step_queued_last_goes_first_once_the_window_frees() -> None:
    sleeps = Sleeps()
    out = Recorder(sleeps)

    async def scenario() -> None:
        lanes: SendLanes[str] = SendLanes(((20, 60.0),), send=out.send, clock=sleeps.clock, sleep=sleeps.sleep)
        lanes.start()
        for i in range(20):
            lanes.put("g1", f"fill {i}", Priority.STEP)
        await lanes.drain()  # the window is full, the slots kept for steps too
        for i in range(40):
            lanes.put("g1", f"ack {i}", Priority.REPLY)
        for i in range(20):
            lanes.put("g1", f"push {i}", Priority.PUSH)
        assert await sleeps.waiting(any_wait) == pytest.approx(60)  # the lane waits for its window
        lanes.put("g1", "reveal", Priority.STEP)  # queued last, while the lane waits
        await sleeps.end(any_wait)
        await until(lambda: len(out.sent) == 81, sleeps)
        await lanes.drain()
        await lanes.stop()

    run(scenario())
    items = out.items("g1")
    assert items[20] == "reveal"  # the first to go when the window freed
    assert items == ([f"fill {i}" for i in range(20)] + ["reveal"] + [f"ack {i}" for i in range(40)]
                     + [f"push {i}" for i in range(20)])  # nothing dropped; arrival order within a priority
    stamps = [t for _, _, t in out.sent]
    assert most_in_any_window(stamps, 60) == 20  # never more than the limit
    assert stamps[20] - stamps[0] == pytest.approx(60)  # the reveal waited one slot, no more


def test_each_destination_has_its_own_window_and_several_limits_hold_at_once() -> None:
    sleeps = Sleeps()
    out = Recorder(sleeps)

    async def scenario() -> None:
        lanes: SendLanes[str] = SendLanes(((2, 1.0), (5, 60.0)), send=out.send, clock=sleeps.clock,
                                          sleep=sleeps.sleep, reserve=0)
        for i in range(7):
            lanes.put("a", f"a{i}", Priority.PUSH)
        lanes.put("b", "b0")
        lanes.put("b", "b1", Priority.STEP)
        lanes.start()
        await sleeps.waiting(any_wait)
        assert out.items("b") == ["b1", "b0"]  # b's two go at once, a's full window holds nothing of b
        await until(lambda: len(out.items("a")) == 7, sleeps)
        await lanes.stop()

    run(scenario())
    a = [t for k, _, t in out.sent if k == "a"]
    assert out.items("a") == [f"a{i}" for i in range(7)]
    assert most_in_any_window(a, 1.0) == 2 and most_in_any_window(a, 60.0) == 5
    assert a[5] - a[0] == pytest.approx(60)  # the sixth waits for the 60-second window


def test_a_tenth_of_the_limit_is_kept_for_steps_so_a_reveal_does_not_wait_behind_a_backlog() -> None:
    sleeps = Sleeps()
    out = Recorder(sleeps)

    async def scenario() -> None:
        lanes: SendLanes[str] = SendLanes(((20, 60.0),), send=out.send, clock=sleeps.clock, sleep=sleeps.sleep)
        lanes.start()
        for i in range(30):
            lanes.put("g1", f"ack {i}")
        assert await sleeps.waiting(any_wait) == pytest.approx(60)
        assert len(out.sent) == 18  # replies stop two short of the limit
        lanes.put("g1", "reveal", Priority.STEP)
        lanes.put("g1", "next question", Priority.STEP)
        while len(out.sent) < 20:
            await asyncio.sleep(0)  # both go at once: no wait is ended
        assert sleeps.now == 1000.0
        await until(lambda: len(out.sent) == 32, sleeps)
        await lanes.stop()

    run(scenario())
    assert out.items("g1")[18:20] == ["reveal", "next question"]
    assert most_in_any_window([t for _, _, t in out.sent], 60) == 20


def test_a_message_that_did_not_leave_keeps_its_place_and_is_not_counted() -> None:
    sleeps = Sleeps()
    sent: list[str] = []
    connected = asyncio.Event()
    failures = ["m0"]

    async def send(key: Hashable, item: str) -> None:
        if item in failures:
            failures.remove(item)
            connected.clear()
            raise Later
        sent.append(item)

    async def scenario() -> None:
        connected.set()
        lanes: SendLanes[str] = SendLanes(((2, 60.0),), send=send, ready=connected.wait, clock=sleeps.clock,
                                          sleep=sleeps.sleep)
        for i in range(3):
            lanes.put("g", f"m{i}")
        lanes.start()
        await asyncio.sleep(0)
        assert sent == []  # m0 did not leave: the lane waits for a connection
        lanes.put("g", "s", Priority.STEP)
        connected.set()
        await sleeps.waiting(any_wait)
        assert sent == ["s", "m0"]  # the window counted two sends, not the one that did not leave
        assert lanes.take_back(lambda item: item == "m2") == 1
        await sleeps.end(any_wait)
        await lanes.drain()
        await lanes.stop()

    run(scenario())
    assert sent == ["s", "m0", "m1"]


# ----- the WeCom long connection -----


def test_a_reveal_overtakes_acks_and_pushes_on_the_long_connection(tmp_path: Path) -> None:
    sleeps = Sleeps()

    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server, limits=((3, 0.6),),
                                                            sleeps=sleeps, ping_interval=900) as (app, adapter):
            req_id = await server.say("u1", f"{BOT} 帮助")
            await server.wait_for(reply_to(req_id))  # a reply bound to its callback: at once, and counted
            for i in range(2):
                adapter.send(Outgoing(G1, f"fill {i}"))
            await server.wait_for(lambda f: pushed()(f) and content(f) == "fill 1")  # the window of 3 is full
            for i in range(5):
                adapter.send(Outgoing(G1, f"ack {i}"))
            push = asyncio.ensure_future(adapter.deliver(Outgoing(G1, "学习推送", key="plan:1", priority=Priority.PUSH),
                                                         timeout=30))
            await sleeps.waiting(window_wait)
            adapter.send(Outgoing(G1, "答案揭晓", priority=Priority.STEP))
            # the window, the push's ack timeout, the keepalive
            assert sorted(sleeps.pending()) == pytest.approx([0.6, 30, 900])
            await sleeps.end(lambda seconds: seconds == 30)  # the push waits its turn while connected: not late
            await sleeps.waiting(lambda seconds: seconds == 30)  # and waits on
            assert not push.done()
            g1 = lambda: [content(f) for f in server.frames("aibot_send_msg") if f["body"]["chatid"] == "g1"]  # noqa: E731
            await until(lambda: push.done(), sleeps, window_wait)  # (ending the 30 s moved the clock on too)
            await push  # acked by WeCom
            assert g1() == ["fill 0", "fill 1", "答案揭晓"] + [f"ack {i}" for i in range(5)] + ["学习推送"]

    run(scenario())


# ----- the group webhooks -----


def test_a_reveal_overtakes_acks_and_pushes_on_a_wecom_group_webhook() -> None:
    sleeps = Sleeps()

    async def scenario() -> list[str]:
        with FakeWeComAPI(webhook_keys={KEY}) as api:
            webhook = WeComWebhook(api_base_url=api.url, per_minute=2, clock=sleeps.clock, sleep=sleeps.sleep)
            await webhook.start()
            for i in range(2):
                webhook.send_markdown(KEY, f"fill {i}")
            await asyncio.to_thread(api.wait_for, 2)
            for i in range(4):
                webhook.send_markdown(KEY, f"ack {i}")
            pushes = [webhook.send_markdown(KEY, f"push {i}", confirmed=True, priority=Priority.PUSH)
                      for i in range(2)]
            await sleeps.waiting(any_wait)
            webhook.send_markdown(KEY, "答案揭晓", priority=Priority.STEP)
            await until(lambda: all(f.done() for p in pushes for f in p), sleeps)
            await webhook.drain()
            await webhook.stop(timeout=1)
            return [r.content for r in api.received()]

    received = run(scenario())
    assert received == ["fill 0", "fill 1", "答案揭晓", "ack 0", "ack 1", "ack 2", "ack 3", "push 0", "push 1"]


def test_dingtalk_robot_lanes_are_per_robot_and_by_priority() -> None:
    sleeps = Sleeps(1_700_000_000.0)

    async def scenario() -> list[tuple[str, str]]:
        with FakeHTTPAPI(answer=lambda request: {"errcode": 0, "errmsg": "ok"}) as api:
            webhook = DingTalkWebhook(base_url=api.url, per_minute=2, clock=sleeps.clock, sleep=sleeps.sleep)
            for i in range(3):
                webhook.send_text("robot-a", None, f"a{i}", priority=Priority.PUSH)
            webhook.send_text("robot-a", None, "a-step", priority=Priority.STEP)
            webhook.send_text("robot-b", None, "b0")
            await webhook.start()
            await asyncio.to_thread(api.wait_for, 3)
            await until(lambda: len(api.received()) == 5, sleeps)
            await webhook.drain()
            await webhook.stop(timeout=1)
            return [(r.query["access_token"], r.body["text"]["content"]) for r in api.received()]

    received = run(scenario())
    assert [c for t, c in received if t == "robot-a"] == ["a-step", "a0", "a1", "a2"]
    assert ("robot-b", "b0") in received[:3]  # b's window is its own: not behind a's


# ----- the outbox -----


def test_the_outbox_hands_pushes_over_as_push_priority() -> None:
    row = OutboxRow(key="plan:1", kind="study", channel="wecom", chat_id="g1", chat_name="g1", is_group=True,
                    text="学习推送", due_at=T0, created_at=T0)
    message = OutboxWorker._message(row)
    assert message.priority is Priority.PUSH and message.chat == Chat("wecom", "g1", True, "g1")
