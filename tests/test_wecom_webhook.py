"""The group 消息推送 webhook client against a fake WeCom API on loopback: splitting at the byte
limits, the 20-a-minute window (on a fake clock: nothing really waits), retries and drops."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from fakes.paced_webhook import LateWebhook
from fakes.wecom_api import GETTOKEN, MESSAGE_SEND, WEBHOOK, FakeWeComAPI
from helpers import FakeTime, Sleeps

from bot.channels.base import NotDelivered
from bot.channels.common.split import split_text
from bot.channels.wecom.webhook import MARKDOWN_BYTES, TEXT_BYTES, WeComWebhook

KEY = "hook-key-0123-secret"
OTHER = "hook-key-4567-secret"




class Stamping(httpx.AsyncBaseTransport):
    """Notes the fake time of every request the client makes."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock, self.inner, self.stamps = clock, httpx.AsyncHTTPTransport(), []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.stamps.append(self.clock())
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def api() -> Iterator[FakeWeComAPI]:
    with FakeWeComAPI(webhook_keys={KEY, OTHER}) as fake:
        yield fake


def run(api: FakeWeComAPI, body: Callable[[WeComWebhook], Awaitable[Any]], **options: Any) -> Any:
    """Start a webhook client against `api`, run `body(webhook)`, drain and stop it."""
    async def main() -> Any:
        webhook = WeComWebhook(api_base_url=api.url, **options)
        await webhook.start()
        try:
            result = await body(webhook)
            await asyncio.wait_for(webhook.drain(), 10)
            return result
        finally:
            await webhook.stop(timeout=1)
    return asyncio.run(main())


def fake_time_options(fake: FakeTime) -> dict[str, Any]:
    return {"clock": fake.clock, "sleep": fake.sleep}


# ----- splitting -----

def test_split_text_on_line_boundaries_within_the_byte_limit() -> None:
    lines = [f"第 {i} 行：党员要认真学习党章党规，学习系列讲话。" for i in range(200)]  # ~70 bytes each
    text = "\n".join(lines)
    pieces = split_text(text, TEXT_BYTES)
    assert len(pieces) > 1
    assert all(len(p.encode()) <= TEXT_BYTES for p in pieces)
    assert [line for p in pieces for line in p.split("\n")] == lines  # no line cut, none lost


def test_split_one_long_line_by_characters_never_inside_one() -> None:
    text = "学" * 3000  # 9,000 bytes, no line break
    pieces = split_text(text, MARKDOWN_BYTES)
    assert all(len(p.encode()) <= MARKDOWN_BYTES for p in pieces)
    assert "".join(pieces) == text
    assert split_text("短消息", TEXT_BYTES) == ["短消息"]


def test_text_markdown_and_news_reach_the_webhook_in_pieces(api: FakeWeComAPI) -> None:
    long_text = "\n".join(f"第 {i} 名 张三{i} 100 分（答对 10 题）" for i in range(150))
    long_markdown = "\n".join(f"**{i}**. 学习材料第 {i} 节，请按时完成学习。" for i in range(250))
    articles = [{"title": f"文章{i}", "url": f"https://example.invalid/{i}"} for i in range(10)]

    async def body(webhook: WeComWebhook) -> None:
        webhook.send_text(KEY, long_text, ["zhangsan", "@all"])
        webhook.send_markdown(KEY, long_markdown)
        webhook.send_news(KEY, articles)

    run(api, body)
    sent = api.received()
    texts = [r for r in sent if r.msgtype == "text"]
    markdowns = [r for r in sent if r.msgtype == "markdown"]
    news = [r for r in sent if r.msgtype == "news"]
    assert len(texts) > 1 and all(len(r.content.encode()) <= TEXT_BYTES for r in texts)
    assert "\n".join(r.content for r in texts) == long_text
    assert texts[0].body["text"]["mentioned_list"] == ["zhangsan", "@all"]
    assert all("mentioned_list" not in r.body["text"] for r in texts[1:])
    assert len(markdowns) > 1 and all(len(r.content.encode()) <= MARKDOWN_BYTES for r in markdowns)
    assert "\n".join(r.content for r in markdowns) == long_markdown
    assert [len(r.body["news"]["articles"]) for r in news] == [8, 2]
    assert [r.msgtype for r in sent] == ["text"] * len(texts) + ["markdown"] * len(markdowns) + ["news"] * 2
    assert {r.query["key"] for r in sent} == {KEY}


# ----- the 20-a-minute window -----

def test_twenty_a_minute_per_key_queued_never_dropped(api: FakeWeComAPI) -> None:
    fake = FakeTime()
    stamps = Stamping(fake.clock)

    async def body(webhook: WeComWebhook) -> None:
        for i in range(45):
            webhook.send_markdown(KEY, f"消息 {i}")
        for i in range(3):
            webhook.send_markdown(OTHER, f"另一群 {i}")

    run(api, body, transport=stamps, **fake_time_options(fake))
    mine = [r.content for r in api.received() if r.query["key"] == KEY]
    assert mine == [f"消息 {i}" for i in range(45)]  # all of them, in order
    assert len([r for r in api.received() if r.query["key"] == OTHER]) == 3
    key_stamps = [s for s, r in zip(stamps.stamps, api.received()) if r.query["key"] == KEY]
    assert all(key_stamps[i] - key_stamps[i - 20] >= 60 for i in range(20, 45))  # never 21 in 60 s
    assert key_stamps[44] - key_stamps[0] < 121  # and no slower than that
    assert max(fake.sleeps) <= 60


def test_limit_and_window_are_settings(api: FakeWeComAPI) -> None:
    fake = FakeTime()
    stamps = Stamping(fake.clock)

    async def body(webhook: WeComWebhook) -> None:
        for i in range(5):
            webhook.send_text(KEY, f"t{i}")

    run(api, body, per_minute=2, window=10, transport=stamps, **fake_time_options(fake))
    assert len(api.received()) == 5
    assert [s - stamps.stamps[0] for s in stamps.stamps] == [0, 0, 10, 10, 20]


# ----- retries and drops -----

def test_rate_limit_45009_is_retried_with_backoff(api: FakeWeComAPI, caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeTime()
    api.script(WEBHOOK, {"errcode": 45009, "errmsg": "api freq out of limit"},
               {"errcode": 45009, "errmsg": "api freq out of limit"})
    run(api, lambda w: _send_one(w, "答案揭晓"), **fake_time_options(fake))
    sent = api.received()
    assert [r.content for r in sent] == ["答案揭晓"] * 3
    assert fake.sleeps[:2] == [2, 4]  # exponential backoff
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_busy_unavailable_and_refused_connections_are_retried_with_backoff(api: FakeWeComAPI) -> None:
    fake = FakeTime()
    api.script(WEBHOOK, 503, 429, {"errcode": -1, "errmsg": "system busy"})  # WeCom did not take it
    run(api, lambda w: _send_one(w, "下一题"), **fake_time_options(fake))
    assert [r.content for r in api.received()] == ["下一题"] * 4
    assert fake.sleeps == [2, 4, 8]

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: every connection is refused, nothing was sent
    fake = FakeTime()

    async def main() -> None:
        webhook = WeComWebhook(api_base_url=f"http://127.0.0.1:{closed.getsockname()[1]}", attempts=3,
                               **fake_time_options(fake))
        await webhook.start()
        [done] = webhook.send_markdown(KEY, "发不出去", confirmed=True)
        webhook.send_markdown(KEY, "也发不出去")
        with pytest.raises(NotDelivered) as failure:
            await done
        assert not failure.value.maybe_received and "ConnectError" in str(failure.value)
        await webhook.drain()
        await webhook.stop()

    asyncio.run(main())
    closed.close()
    assert fake.sleeps == [2, 4]  # the outbox's push: one request, no retry here; the other: three


def test_a_request_that_may_have_arrived_is_sent_once_more_after_a_pause_and_never_again(
        api: FakeWeComAPI, caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeTime()
    api.script(WEBHOOK, 502, "drop")  # a bad gateway, then a connection cut after the request
    run(api, lambda w: _send_one(w, "下一题"), **fake_time_options(fake))
    assert [r.content for r in api.received()] == ["下一题"] * 2  # not a third time
    assert fake.sleeps == [30]
    [error] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "after 2 attempts" in error and "may have reached the group" in error

    fake = FakeTime()
    api.script(WEBHOOK, 503, "drop")  # certainly not taken, then maybe: one more try still
    run(api, lambda w: _send_one(w, "揭晓"), **fake_time_options(fake))
    assert [r.content for r in api.received()][2:] == ["揭晓"] * 3
    assert fake.sleeps == [2, 30]


def test_a_request_without_an_answer_in_time_may_have_arrived(caplog: pytest.LogCaptureFixture) -> None:
    """The timeout runs on the injected timer; the fake answers only after the client gave up."""
    sleeps = Sleeps()

    async def main() -> None:
        with LateWebhook(lambda: None) as late:
            webhook = WeComWebhook(api_base_url=late.url, timeout=10, pause=30, sleep=sleeps.sleep, timer=sleeps.sleep)
            await webhook.start()
            webhook.send_markdown(KEY, "答案揭晓")
            for count in (1, 2):
                await asyncio.to_thread(late.wait_for, count)
                assert await sleeps.end(lambda seconds: seconds == 10) == 10  # no answer within 10 s
                if count == 1:
                    assert await sleeps.end() == 30  # the pause before the one more try
            await webhook.drain()
            await webhook.stop()
            assert len(late.received()) == 2

    asyncio.run(main())
    [error] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "no answer within 10 s (after 2 attempts)" in error and "may have reached the group" in error


def test_the_outboxs_push_gets_one_request_per_piece_and_a_retry_only_the_rest(api: FakeWeComAPI) -> None:
    from pydantic import SecretStr

    from bot.channels.wecom.webhook import GroupWebhooks
    from bot.messages import Chat, Outgoing

    text = "\n".join(f"**{i}**. 学习材料第 {i} 节，请按时完成学习。" for i in range(250))  # four pieces
    push = Outgoing(Chat("wecom", "wr1", True, "学习群"), text, key="plan:1:202611230900:wecom:wr1")
    api.script(WEBHOOK, {}, {"errcode": 45009, "errmsg": "api freq out of limit"})
    fake = FakeTime()

    async def main() -> None:
        groups = GroupWebhooks(webhook=WeComWebhook(api_base_url=api.url, **fake_time_options(fake)),
                               keys={"学习群": SecretStr(KEY)})
        await groups.start()
        with pytest.raises(NotDelivered) as failure:
            await groups.deliver(push)  # the first piece taken, the second refused for the rate
        assert not failure.value.maybe_received and "45009" in str(failure.value)
        await groups.deliver(push)  # the outbox's next attempt
        await groups.stop()

    asyncio.run(main())
    pieces = split_text(text, MARKDOWN_BYTES)
    assert len(pieces) == 4
    assert [r.content for r in api.received()] == [pieces[0], pieces[1], pieces[1], pieces[2], pieces[3]]
    assert fake.sleeps == []  # no retry of its own


def test_invalid_key_93000_is_dropped_at_once_and_the_key_never_logged(
        api: FakeWeComAPI, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging.getLogger("httpx"), "disabled", False)  # another test's dictConfig may have
    caplog.set_level(logging.INFO)  # httpx logs each request's URL at INFO
    caplog.set_level(logging.INFO, logger="httpx")
    bad = "removed-group-secret-key"

    async def body(webhook: WeComWebhook) -> None:
        webhook.send_markdown(bad, "发不出去", label="第二党支部")
        webhook.send_markdown(KEY, "照常发送")

    run(api, body, **fake_time_options(FakeTime()))
    assert sorted((r.query["key"], r.content) for r in api.received()) == [(KEY, "照常发送"), (bad, "发不出去")]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and "93000" in errors[0] and "第二党支部" in errors[0]
    assert bad not in caplog.text and KEY not in caplog.text
    assert "key=***" in caplog.text  # httpx's own line, masked


def test_other_errors_dropped_once_and_retries_give_up(api: FakeWeComAPI, caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeTime()
    api.script(WEBHOOK, {"errcode": 40008, "errmsg": "invalid message type, hint: [x]"}, 400,
               *[{"errcode": 45009}] * 3)

    async def body(webhook: WeComWebhook) -> None:
        for text in ("一", "二", "三", "四"):
            webhook.send_text(KEY, text)

    run(api, body, attempts=3, **fake_time_options(fake))
    assert [r.content for r in api.received()] == ["一", "二", "三", "三", "三", "四"]
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 3
    assert "40008" in errors[0] and "HTTP 400" in errors[1] and "after 3 attempts" in errors[2]


def test_stop_flushes_the_queue_then_gives_up_after_its_timeout(
        api: FakeWeComAPI, caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        webhook = WeComWebhook(api_base_url=api.url)
        for i in range(5):
            webhook.send_text(KEY, f"排队 {i}")  # queued before start: sent once started
        await webhook.start()
        await webhook.stop(timeout=5)
        slow = WeComWebhook(api_base_url=api.url, per_minute=1)  # real clock: the 2nd waits a minute
        await slow.start()
        for i in range(3):
            slow.send_text(KEY, f"限流 {i}")
        await asyncio.wait_for(slow.stop(timeout=0.3), 10)  # gives up on the minute's wait

    asyncio.run(main())
    assert [r.content for r in api.received()] == [f"排队 {i}" for i in range(5)] + ["限流 0"]
    assert "2 message(s) not sent" in caplog.text


def test_fake_api_serves_the_app_endpoints_too() -> None:
    with FakeWeComAPI(corp_id="ww1", corp_secret="s1") as fake:
        with httpx.Client(base_url=fake.url) as client:
            assert client.get(GETTOKEN, params={"corpid": "ww1", "corpsecret": "bad"}).json()["errcode"] == 40001
            token = client.get(GETTOKEN, params={"corpid": "ww1", "corpsecret": "s1"}).json()["access_token"]
            sent = client.post(MESSAGE_SEND, params={"access_token": token}, json={"touser": "u1", "msgtype": "text"})
            assert sent.json()["errcode"] == 0
            fake.expire_tokens()
            again = client.post(MESSAGE_SEND, params={"access_token": token}, json={"touser": "u1"})
            assert again.json()["errcode"] == 42001
        assert [r.path for r in fake.requests] == [GETTOKEN, GETTOKEN, MESSAGE_SEND, MESSAGE_SEND]


async def _send_one(webhook: WeComWebhook, text: str) -> None:
    webhook.send_markdown(KEY, text)
