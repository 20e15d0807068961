"""The DingTalk custom robot webhook client against a fake API on loopback: the signature, the
request's query and JSON, splitting at the byte limit, the 20-a-minute window (on a fake clock:
nothing really waits), retries and drops."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import inspect
import logging
import urllib.parse
from collections.abc import Awaitable, Callable, Iterator
from functools import partial
from typing import Any

import helpers
import pytest
from fakes.http_api import FakeHTTPAPI, Recorded

from bot.channels.dingtalk.robot_webhook import MARKDOWN_BYTES, DingTalkWebhook, sign

SEND = "/robot/send"
TOKEN = "robot-token-0123-secret"
OTHER = "robot-token-4567-secret"
SECRET = "SEC0123456789abcdef-not-logged"


# wall-clock seconds: the signature carries the timestamp
FakeTime = partial(helpers.FakeTime, 1_700_000_000.0)


def documented_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's documented Python sample, written out independently."""
    secret_enc = secret.encode("utf-8")
    string_to_sign_enc = f"{timestamp_ms}\n{secret}".encode()
    hmac_code = hmac.new(secret_enc, string_to_sign_enc, digestmod=hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(hmac_code))


@pytest.fixture
def api() -> Iterator[FakeHTTPAPI]:
    with FakeHTTPAPI(answer=lambda request: {"errcode": 0, "errmsg": "ok"}) as fake:
        yield fake


def run(api: FakeHTTPAPI, body: Callable[[DingTalkWebhook], Awaitable[Any] | None], fake: FakeTime | None = None,
        **options: Any) -> None:
    """Start a client against `api` (on `fake` time), run `body(webhook)`, drain and stop it."""
    fake = fake or FakeTime()

    async def main() -> None:
        webhook = DingTalkWebhook(base_url=api.url, clock=fake.clock, sleep=fake.sleep, **options)
        await webhook.start()
        try:
            result = body(webhook)
            if inspect.isawaitable(result):  # the sends themselves return their (unused) futures
                await result
            await asyncio.wait_for(webhook.drain(), 10)
        finally:
            await webhook.stop(timeout=1)
    asyncio.run(main())


def text_of(request: Recorded) -> str:
    body = request.body
    return body["markdown"]["text"] if body["msgtype"] == "markdown" else body["text"]["content"]


# ----- the signature -----

def test_sign_matches_dingtalks_documented_algorithm() -> None:
    secret, timestamp_ms = "SECxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 1577262236757
    expected = documented_sign(secret, timestamp_ms)
    assert sign(secret, timestamp_ms) == expected
    raw = base64.b64decode(urllib.parse.unquote_plus(expected))
    assert len(raw) == 32  # a SHA-256 digest
    assert sign(secret, timestamp_ms + 1) != expected


def test_messages_reach_the_robot_with_the_right_query_and_json(api: FakeHTTPAPI) -> None:
    fake = FakeTime()

    def body(webhook: DingTalkWebhook) -> None:
        webhook.send_markdown(TOKEN, SECRET, "本周排行", "**第一名** 张三 100 分")
        webhook.send_text(TOKEN, SECRET, "请 @zhangsan 完成学习", ["zhangsan"])
        webhook.send_text(OTHER, None, "无签名机器人")

    run(api, body, fake)
    sent = api.received(SEND)
    assert len(sent) == 3
    mine = [r for r in sent if r.query["access_token"] == TOKEN]
    timestamp_ms = round(fake.now * 1000)
    for request in mine:
        assert request.method == "POST"
        assert request.query["timestamp"] == str(timestamp_ms)
        # the fake's parse_qs undoes the one URL-quoting: the query carries sign() exactly once quoted
        assert urllib.parse.quote_plus(request.query["sign"]) == documented_sign(SECRET, timestamp_ms)
    assert mine[0].body == {"msgtype": "markdown", "markdown": {"title": "本周排行", "text": "**第一名** 张三 100 分"}}
    assert mine[1].body == {"msgtype": "text", "text": {"content": "请 @zhangsan 完成学习"},
                            "at": {"atUserIds": ["zhangsan"], "isAtAll": False}}
    [other] = [r for r in sent if r.query["access_token"] == OTHER]
    assert other.query == {"access_token": OTHER}  # no secret: no timestamp, no sign
    assert other.body == {"msgtype": "text", "text": {"content": "无签名机器人"}}


# ----- splitting -----

def test_markdown_split_at_the_byte_limit(api: FakeHTTPAPI) -> None:
    lines = [f"**{i}**. 学习材料第 {i} 节，请按时完成学习并参加测验。" for i in range(300)]  # ~80 bytes each
    text = "\n".join(lines)
    assert len(text.encode()) > 3 * MARKDOWN_BYTES
    run(api, lambda w: w.send_markdown(TOKEN, SECRET, "材料", text))
    sent = api.received(SEND)
    assert len(sent) >= 4
    assert all(len(text_of(r).encode()) <= MARKDOWN_BYTES for r in sent)
    assert "\n".join(text_of(r) for r in sent) == text  # in order, no line cut, none lost
    assert sent[0].body["markdown"]["title"] == f"材料 (1/{len(sent)})"


def test_one_long_line_split_between_characters(api: FakeHTTPAPI) -> None:
    text = "学" * 4000  # 12,000 bytes, no line break
    run(api, lambda w: w.send_markdown(TOKEN, None, "长", text))
    pieces = [text_of(r) for r in api.received(SEND)]
    assert len(pieces) == 3 and all(len(p.encode()) <= MARKDOWN_BYTES for p in pieces)
    assert "".join(pieces) == text


# ----- the 20-a-minute window -----

def test_twenty_a_minute_per_robot_queued_never_dropped() -> None:
    fake = FakeTime()
    start = fake.now
    arrivals: list[float] = []  # the fake time of each request's arrival

    def answer(request: Recorded) -> dict[str, Any]:
        arrivals.append(fake.now)
        return {"errcode": 0, "errmsg": "ok"}

    with FakeHTTPAPI(answer=answer) as api:
        _twenty_a_minute(api, fake, start, arrivals)


def _twenty_a_minute(api: FakeHTTPAPI, fake: FakeTime, start: float, arrivals: list[float]) -> None:

    def body(webhook: DingTalkWebhook) -> None:
        for i in range(25):
            webhook.send_text(TOKEN, SECRET, f"消息 {i}")
        webhook.send_text(OTHER, None, "另一个机器人")

    run(api, body, fake)
    sent = api.received(SEND)
    mine = [(r, at) for r, at in zip(sent, arrivals) if r.query["access_token"] == TOKEN]
    assert [text_of(r) for r, _ in mine] == [f"消息 {i}" for i in range(25)]  # all, in order
    # the first window, but for the two of its 20 kept for contest steps (common/send_lanes.py)
    assert [at for _, at in mine[:18]] == [start] * 18
    assert [at for _, at in mine[18:]] == [start + 60] * 7  # once it moved on
    assert [int(r.query["timestamp"]) for r, _ in mine[18:]] == [round((start + 60) * 1000)] * 7
    assert len([r for r in sent if r.query["access_token"] == OTHER]) == 1  # its own window
    assert fake.sleeps == [60]


# ----- retries and drops -----

def test_sending_too_fast_130101_is_retried_with_backoff(api: FakeHTTPAPI, caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeTime()
    api.script(SEND, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}, 503, "drop")
    run(api, lambda w: w.send_text(TOKEN, SECRET, "答案揭晓"), fake)
    assert [text_of(r) for r in api.received(SEND)] == ["答案揭晓"] * 4
    assert fake.sleeps == [2, 4, 30]  # backoff while DingTalk did not take it; a pause once it may have
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_the_outboxs_push_gets_one_request_and_what_may_have_arrived_is_not_retried_here(api: FakeHTTPAPI) -> None:
    from bot.channels.base import NotDelivered

    api.script(SEND, 502, {"errcode": 130101, "errmsg": "send too fast"})
    fake = FakeTime()
    outcomes: list[NotDelivered] = []

    async def body(webhook: DingTalkWebhook) -> None:
        for text in ("一", "二"):
            with pytest.raises(NotDelivered) as failure:
                await asyncio.gather(*webhook.send_text(TOKEN, SECRET, text, confirmed=True))
            outcomes.append(failure.value)

    run(api, body, fake)
    assert [text_of(r) for r in api.received(SEND)] == ["一", "二"]
    assert [(f.maybe_received, f.refused) for f in outcomes] == [(True, False), (False, False)]
    assert fake.sleeps == []


def test_bad_signature_310000_dropped_once_and_secrets_never_logged(
        api: FakeHTTPAPI, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging.getLogger("httpx"), "disabled", False)  # another test's dictConfig may have
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.INFO, logger="httpx")  # httpx logs each request's URL at INFO
    api.script(SEND, {"errcode": 310000, "errmsg": "sign not match"}, {"errcode": 400013, "errmsg": "odd, more"})

    def body(webhook: DingTalkWebhook) -> None:
        webhook.send_text(TOKEN, SECRET, "发不出去", label="第二党支部")
        webhook.send_text(TOKEN, SECRET, "也发不出去")
        webhook.send_text(TOKEN, SECRET, "照常发送")

    fake = FakeTime()
    run(api, body, fake)
    assert [text_of(r) for r in api.received(SEND)] == ["发不出去", "也发不出去", "照常发送"]  # no retries
    assert fake.sleeps == []
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2
    assert "310000" in errors[0] and "第二党支部" in errors[0] and "400013" in errors[1]
    signed = sign(SECRET, round(fake.now * 1000))
    for secret in (TOKEN, SECRET, signed, urllib.parse.unquote_plus(signed)):
        assert secret not in caplog.text
    assert "access_token=***" in caplog.text  # httpx's own line, masked


def test_stop_flushes_the_queue_then_gives_up_after_its_timeout(
        api: FakeHTTPAPI, caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        webhook = DingTalkWebhook(base_url=api.url)
        for i in range(3):
            webhook.send_text(TOKEN, SECRET, f"排队 {i}")  # queued before start: sent once started
        await webhook.start()
        await webhook.stop(timeout=5)
        slow = DingTalkWebhook(base_url=api.url, per_minute=1)  # real clock: the 2nd waits a minute
        await slow.start()
        for i in range(3):
            slow.send_text(TOKEN, None, f"限流 {i}")
        await asyncio.wait_for(slow.stop(timeout=0.3), 3)

    asyncio.run(main())
    assert [text_of(r) for r in api.received(SEND)] == [f"排队 {i}" for i in range(3)] + ["限流 0"]
    assert "2 message(s) not sent" in caplog.text
