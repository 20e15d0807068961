"""What a failed request means, against the real wire on loopback (bot/channels/common/attempts.py):
certainly not received (safe to send again), maybe received (sent again at most once), refused.
The line is the request's last byte: before it left, the platform cannot have acted on it."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
import requests
from fakes.http_api import FakeHTTPAPI
from fakes.paced_webhook import LateWebhook
from fakes.wechat_api import CUSTOM_SEND, FakeWeChatAPI
from helpers import FakeTime, Sleeps

from bot.channels.base import NotDelivered
from bot.channels.common.attempts import post_once, requests_failure
from bot.channels.dingtalk.openapi import GROUP_SEND_PATH, TOKEN_PATH, DingTalkOpenAPI, OpenAPIError
from bot.channels.wechat_mp.send import ApiClient, CustomerService


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound and never listening: every connection to it is refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    yield sock.getsockname()[1]
    sock.close()


def kind(failure: NotDelivered) -> str:
    return "refused" if failure.refused else "maybe" if failure.maybe_received else "not received"


# ----- requests (wechatpy, DingTalk's OpenAPI and session webhooks) -----

def posted(url: str, timeout: float = 5.0) -> NotDelivered:
    try:
        requests.post(url, json={"msgtype": "text"}, timeout=timeout).raise_for_status()
    except requests.RequestException as exc:
        return requests_failure(exc)
    raise AssertionError("the request went through")


def test_requests_failures_by_whether_the_request_may_have_arrived(closed_port: int) -> None:
    assert kind(posted(f"http://127.0.0.1:{closed_port}/send")) == "not received"
    with FakeHTTPAPI() as api:
        api.script("/send", "drop", 503, 429, 502, 500, 400)
        assert [kind(posted(api.url + "/send")) for _ in range(6)] == [
            "maybe", "not received", "not received", "maybe", "maybe", "refused"]
    with LateWebhook(lambda: None) as late:  # the whole request arrived; the answer never comes in time
        failure = posted(late.url + "/send", timeout=0.2)
    assert (kind(failure), str(failure)) == ("maybe", "ReadTimeout")


def test_dingtalk_openapi_failures_say_whether_the_message_may_have_arrived(closed_port: int) -> None:
    token = {"accessToken": "t0", "expireIn": 7200}
    with FakeHTTPAPI() as api:
        openapi = DingTalkOpenAPI(app_key="k", app_secret="s", endpoint=api.url)
        api.script(TOKEN_PATH, "drop")  # no token, no send, whatever became of the token request
        api.script(GROUP_SEND_PATH, "drop", 503)
        outcomes = []
        for _ in range(3):
            with pytest.raises(OpenAPIError) as failure:
                api.script(TOKEN_PATH, token)
                openapi.send_group("cid", "sampleText", '{"content": "学习"}')
            outcomes.append(kind(failure.value))
        assert outcomes == ["not received", "maybe", "not received"]
        assert len(api.received(GROUP_SEND_PATH)) == 2  # nothing retried underneath
    with pytest.raises(OpenAPIError) as failure:
        DingTalkOpenAPI(app_key="k", app_secret="s", endpoint=f"http://127.0.0.1:{closed_port}").token()
    assert kind(failure.value) == "not received"


# ----- httpx (the group webhooks) -----

def test_httpx_a_request_cut_before_its_last_byte_certainly_did_not_arrive() -> None:
    """A server that reads a little of a 32 MB body and then nothing: the write cannot finish, so
    the request never arrived whole, and its timeout says so."""
    listener = socket.create_server(("127.0.0.1", 0))
    started = threading.Event()
    accepted: list[socket.socket] = []

    def serve() -> None:
        conn, _ = listener.accept()
        accepted.append(conn)
        conn.recv(65536)
        started.set()

    threading.Thread(target=serve, daemon=True).start()
    sleeps = Sleeps()

    async def main() -> NotDelivered:
        async with httpx.AsyncClient(timeout=None) as client:
            attempt = asyncio.create_task(post_once(client, f"http://127.0.0.1:{listener.getsockname()[1]}/send",
                                                    params=None, body={"text": "x" * (32 << 20)}, timeout=10,
                                                    timer=sleeps.sleep))
            await asyncio.to_thread(started.wait, 5)
            await sleeps.end()
            with pytest.raises(NotDelivered) as failure:
                await attempt
            return failure.value

    try:
        failure = asyncio.run(main())
    finally:
        for conn in accepted:
            conn.close()
        listener.close()
    assert (kind(failure), str(failure)) == ("not received", "no answer within 10 s")


def test_httpx_refused_and_cut_connections(closed_port: int) -> None:
    async def main(url: str) -> NotDelivered:
        async with httpx.AsyncClient(timeout=None) as client:
            with pytest.raises(NotDelivered) as failure:
                await post_once(client, url, params=None, body={}, timeout=10, timer=asyncio.sleep)
            return failure.value

    assert str(refused := asyncio.run(main(f"http://127.0.0.1:{closed_port}/send"))) == "network error ConnectError"
    assert kind(refused) == "not received"
    with FakeHTTPAPI() as api:
        api.script("/send", "drop")
        assert kind(asyncio.run(main(api.url + "/send"))) == "maybe"


# ----- a sender that retries by itself: the Official Account's customer-service messages -----

def test_a_customer_service_message_that_may_have_arrived_is_sent_once_more_only(
        caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeTime()
    with FakeWeChatAPI("wx1", "s1") as api:
        api.script(CUSTOM_SEND, 502, "drop", (200, {"errcode": -1, "errmsg": "system busy"}))

        async def main() -> None:
            service = CustomerService(name="wechat_mp", client=ApiClient("wx1", "s1", api.url, 5.0),
                                      now=fake.clock, sleep=fake.sleep)
            await service.start()
            service.opened("o1")
            service.hold("o1", ["答案揭晓", "下一题"])
            await asyncio.to_thread(api.wait_for_sent, 1)
            await service.stop()

        asyncio.run(main())
        sends = [r.body["text"]["content"] for r in api.received(CUSTOM_SEND)]
    assert sends == ["答案揭晓", "答案揭晓", "下一题", "下一题"]  # the first: maybe twice, dropped
    assert fake.sleeps == [30.0, 0.5]  # a pause after the maybe; backoff after 系统繁忙
    [error] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "HTTP 502" not in error and "after 2 attempts" in error and "dropped" in error


def test_a_failed_access_token_request_never_counts_as_a_message_that_may_have_arrived() -> None:
    """wechatpy fetches the token inside the send: its failure is retried with backoff, not once after a pause."""
    from fakes.wechat_api import TOKEN
    from fakes.wecom_app_api import GETTOKEN, FakeWeComAppAPI

    from bot.channels.wecom.app_send import ApiClient as AppClient
    from bot.channels.wecom.app_send import AppSender

    fake = FakeTime()
    with FakeWeComAppAPI("ww1", "s1") as app_api, FakeWeChatAPI("wx1", "s1") as mp_api:
        app_api.script(GETTOKEN, 502, "drop")
        mp_api.script(TOKEN, "drop", 504)

        async def main() -> None:
            sender = AppSender(client=AppClient("ww1", "s1", api_base_url=app_api.url, timeout=5.0), agent_id=1,
                               name="wecom", backoff=(0.05, 0.2), sleep=fake.sleep)
            service = CustomerService(name="wechat_mp", client=ApiClient("wx1", "s1", mp_api.url, 5.0),
                                      now=fake.clock, sleep=fake.sleep)
            await sender.start()
            await service.start()
            sender.send("lisi", ["明天 9 点主题党日"], markdown=False, label="notice")
            service.opened("o1")
            service.hold("o1", ["答案揭晓"])
            await asyncio.to_thread(app_api.wait_for_sent, 1)
            await asyncio.to_thread(mp_api.wait_for_sent, 1)
            await sender.stop()
            await service.stop()

        asyncio.run(main())
        assert len(app_api.sent) == len(mp_api.sent) == 1
    assert sorted(fake.sleeps) == [0.05, 0.1, 0.5, 1.0]  # backoff each time; never the 30 s pause
