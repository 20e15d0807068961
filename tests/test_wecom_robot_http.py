"""The WeCom smart robot in HTTP callback mode on the real wire: callbacks encrypted with
wechatpy's own crypto (receive id ""), POSTed to build_web(app) (a real uvicorn server on
127.0.0.1, or TestClient for the simple status cases), replies decrypted with it; pushes caught
by a fake WeCom webhook on loopback."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import xmltodict
from fakes.wecom_api import FakeWeComAPI
from fastapi.testclient import TestClient
from helpers import Uvicorn, enrol, make_app
from sqlalchemy import text
from wechatpy.crypto import PrpCrypto, WeChatCrypto, _get_signature

from bot.app import App
from bot.channels.wecom.crypto import RobotCrypto, RobotCryptoError
from bot.channels.wecom.robot_http import MAX_BODY, PATH, STREAM_BYTES, WeComRobotHTTP
from bot.channels.wecom.webhook import GroupWebhooks, WeComWebhook
from bot.clock import ManualClock
from bot.messages import Chat, Outgoing
from bot.web import build_web

TOKEN = "robot-callback-token"
AES_KEY = "kWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
OTHER_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
GROUP = "wrkSFfCgAAtestGroup01"
HOOK = "group-one-webhook-secret"
BOT = "学习助手"

# The official Tencent WXBizMsgCrypt sample vectors (doc path 90968): receive id = the corp id
V_TOKEN, V_KEY, V_CORP = "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C", "wx5823bf96d3bd56c7"
V_ECHO = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
V_ENCRYPT = ("RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W"
             "/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+H"
             "MZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3"
             "LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn2"
             "8H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==")

_ids = itertools.count(1)


# ----- the WeCom side of the wire -----

class Wire:
    """Builds callbacks the way WeCom's servers do (wechatpy's crypto, receive id "") and reads
    the passive replies."""

    def __init__(self, token: str = TOKEN, aes_key: str = AES_KEY) -> None:
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, "")

    def callback(self, payload: dict[str, Any], *, timestamp: int | None = None,
                 signature: str | None = None) -> tuple[dict[str, str], bytes]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = uuid.uuid4().hex[:10]
        envelope = xmltodict.parse(self.crypto.encrypt_message(json.dumps(payload, ensure_ascii=False), nonce, ts))
        query = {"msg_signature": signature or envelope["xml"]["MsgSignature"], "timestamp": ts, "nonce": nonce}
        return query, json.dumps({"encrypt": envelope["xml"]["Encrypt"]}).encode()

    def echo(self, plain: str) -> dict[str, str]:
        ts, nonce = str(int(time.time())), "echo-nonce"
        echostr = PrpCrypto(self.crypto.key).encrypt(plain, "").decode()
        return {"msg_signature": _get_signature(self.token, ts, nonce, echostr), "timestamp": ts, "nonce": nonce,
                "echostr": echostr}

    def read(self, response: httpx.Response) -> dict[str, Any] | None:
        """The decrypted passive reply, or None for an empty 200."""
        assert response.status_code == 200, response.status_code
        if not response.content:
            return None
        wrapper = response.json()
        assert set(wrapper) == {"encrypt", "msgsignature", "timestamp", "nonce"}  # nothing in clear
        plain = self.crypto.decrypt_message({"Encrypt": wrapper["encrypt"]}, wrapper["msgsignature"],
                                            wrapper["timestamp"], wrapper["nonce"])
        return json.loads(plain)


def text_msg(user: str, content: str, *, chatid: str | None = GROUP, msgid: str | None = None,
             mention: bool = True) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "msgid": msgid or f"msg{next(_ids)}", "aibotid": "AIBOTID", "from": {"userid": user},
        "response_url": "https://example.invalid/aibot/response?code=1", "msgtype": "text",
        "text": {"content": f"@{BOT} {content}" if mention and chatid else content}}
    if chatid:
        payload |= {"chatid": chatid, "chattype": "group"}
    else:
        payload["chattype"] = "single"
    return payload


def click_msg(user: str, card: dict[str, Any], answer: str, *, chatid: str = GROUP,
              msgid: str | None = None) -> dict[str, Any]:
    """What WeCom sends when `user` presses `answer` on `card` (ticks the letters of a vote card)."""
    task_id = card["task_id"]
    click: dict[str, Any] = {"card_type": card["card_type"], "task_id": task_id}
    if card["card_type"] == "vote_interaction":
        click["event_key"] = card["submit_button"]["key"]
        click["selected_items"] = {"selected_item": [{"question_key": card["checkbox"]["question_key"],
                                                      "option_ids": {"option_id": list(answer)}}]}
    else:
        click["event_key"] = next(b["key"] for b in card["button_list"] if b["text"] == answer)
    return {"msgid": msgid or f"click{next(_ids)}", "aibotid": "AIBOTID", "chatid": chatid, "chattype": "group",
            "from": {"userid": user}, "response_url": "https://example.invalid/r", "msgtype": "event",
            "event": {"eventtype": "template_card_event", "template_card_event": click}}


def stream_content(reply: dict[str, Any]) -> str:
    assert reply["msgtype"] in ("stream", "stream_with_template_card"), reply
    assert reply["stream"]["finish"] is True and reply["stream"]["id"]
    return reply["stream"]["content"]


# ----- the bot -----

def robot_settings(api_url: str = "http://127.0.0.1:9", webhooks: dict[str, str] | None = None,
                   aes_key: str = AES_KEY, token: str = TOKEN) -> dict[str, Any]:
    return {"robot": {"mode": "callback", "token": token, "encoding_aes_key": aes_key},
            "api_base_url": api_url, "webhooks": webhooks or {}}


def build(tmp_path: Path, clock: ManualClock, **wecom: Any) -> tuple[App, WeComRobotHTTP]:
    app = make_app(tmp_path, clock, wecom=robot_settings(**wecom))
    webhook = WeComWebhook(api_base_url=app.settings.wecom.api_base_url, attempts=2, backoff_max=0.01)
    webhooks = GroupWebhooks(webhook=webhook, keys=app.settings.wecom.webhooks)
    channel = WeComRobotHTTP(app=app, settings=app.settings.wecom, webhooks=webhooks)
    app.add_channel(channel)
    app.start()
    return app, channel


class Served:
    """build_web(app) on a real uvicorn server on 127.0.0.1, in a thread with its own loop (the
    service's loop: the channel is started on it, and `call` runs the core there)."""

    def __init__(self, app: App, channel: WeComRobotHTTP) -> None:
        self.app, self.channel = app, channel
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(build_web(app), log_config=None, access_log=False, lifespan="off")
        self.server = Uvicorn(config)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(),), daemon=True)

    async def _main(self) -> None:
        await self.channel.start()
        try:
            await self.server.serve(sockets=[self.sock])
        finally:
            await self.channel.stop()

    def __enter__(self) -> Served:
        self.thread.start()
        self.server.wait_listening()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.loop.close()

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run `fn` on the server's loop thread, where the core lives."""
        async def run() -> Any:
            return fn()
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(5)


class Member:
    def __init__(self, http: httpx.Client | TestClient, wire: Wire, user: str) -> None:
        self.http, self.wire, self.user = http, wire, user

    def post(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        query, body = self.wire.callback(payload)
        return self.wire.read(self.http.post(PATH, params=query, content=body))

    def say(self, content: str, **options: Any) -> dict[str, Any] | None:
        return self.post(text_msg(self.user, content, **options))

    def click(self, card: dict[str, Any], answer: str) -> dict[str, Any] | None:
        return self.post(click_msg(self.user, card, answer))


@pytest.fixture
def api() -> Iterator[FakeWeComAPI]:
    with FakeWeComAPI(webhook_keys={HOOK}) as fake:
        yield fake


@pytest.fixture
def client(tmp_path: Path, clock: ManualClock) -> Iterator[tuple[TestClient, WeComRobotHTTP, App]]:
    app, channel = build(tmp_path, clock)
    with TestClient(build_web(app)) as http:
        yield http, channel, app
    app.close()


def answers_in_db(app: App) -> list[tuple[int, str]]:
    with app.db.session() as session:
        return [tuple(r) for r in session.execute(text("SELECT question_index, answer FROM contest_answer "
                                                       "ORDER BY id")).all()]


# ----- crypto -----

def test_official_vectors_verify_and_decrypt_and_the_robot_refuses_another_receiver() -> None:
    official = RobotCrypto(V_TOKEN, V_KEY, V_CORP)
    assert official.verify("5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "1409659589", "263014780", V_ECHO)
    assert official.decrypt(V_ECHO) == "1616140317555161061"
    assert official.verify("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149", V_ENCRYPT)
    message = xmltodict.parse(official.decrypt(V_ENCRYPT))["xml"]
    assert (message["Content"], message["FromUserName"], message["MsgId"]) == ("hello", "mycreate",
                                                                               "4561255354251345929")
    assert not official.verify("477715d11cdb4164915debcba66cb864d751f3e7", "1409659813", "1372623149", V_ENCRYPT)
    assert not official.verify("477715d11cdb4164915debcba66cb864d751f3e6", "1409659814", "1372623149", V_ENCRYPT)
    robot = RobotCrypto(V_TOKEN, V_KEY)  # receive id "": a payload for a corp id is not ours
    assert robot.verify("477715d11cdb4164915debcba66cb864d751f3e6", "1409659813", "1372623149", V_ENCRYPT)
    with pytest.raises(RobotCryptoError):
        robot.decrypt(V_ENCRYPT)
    reply = robot.encrypt('{"msgtype":"stream"}', "1372623149", "1409659900")
    assert WeChatCrypto(V_TOKEN, V_KEY, "").decrypt_message(
        {"Encrypt": reply["encrypt"]}, reply["msgsignature"], "1409659900", "1372623149") == '{"msgtype":"stream"}'
    with pytest.raises(ValueError):
        RobotCrypto(V_TOKEN, V_KEY[:-1])


def test_url_verification_echoes_the_plaintext(client) -> None:
    http, _, _ = client
    response = http.get(PATH, params=Wire().echo("1616140317555161061"))
    assert response.status_code == 200 and response.text == "1616140317555161061"
    forged = Wire().echo("x") | {"msg_signature": "0" * 40}
    assert http.get(PATH, params=forged).status_code == 403
    assert http.get(PATH, params={"timestamp": "1"}).status_code == 400
    # the official URL-verification vector: the signature holds, but it is for a corp id, not the robot
    vector = {"msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3", "timestamp": "1409659589",
              "nonce": "263014780", "echostr": V_ECHO}
    assert http.get(PATH, params=vector).status_code == 403


# ----- bad input -----

def test_forged_signature_is_403_with_one_log_line(client, caplog: pytest.LogCaptureFixture) -> None:
    http, _, _ = client
    query, body = Wire().callback(text_msg("alice", "帮助"), signature="f" * 40)
    with caplog.at_level(logging.WARNING):
        assert http.post(PATH, params=query, content=body).status_code == 403
    mine = [r for r in caplog.records if r.name.startswith("bot.")]
    assert len(mine) == 1 and "bad signature" in mine[0].getMessage() and mine[0].exc_info is None


def test_stale_timestamp_is_403(client) -> None:
    http, _, _ = client
    for skew in (-301, 310):  # ahead by more than 301: the wall clock moves on while the request is sent
        query, body = Wire().callback(text_msg("alice", "帮助"), timestamp=int(time.time()) + skew)
        assert http.post(PATH, params=query, content=body).status_code == 403
    query, body = Wire().callback(text_msg("alice", "帮助"), timestamp=int(time.time()) - 290)
    assert http.post(PATH, params=query, content=body).status_code == 200
    assert http.post(PATH, params=query | {"timestamp": "²"}, content=body).status_code == 403


def test_broken_bodies_are_400_and_oversized_413(client) -> None:
    http, _, _ = client
    query, _ = Wire().callback(text_msg("alice", "帮助"))
    for body in (b"not json", b"[1, 2]", b'{"Encrypt": "x"}', b'{"encrypt": 5}', b""):
        assert http.post(PATH, params=query, content=body).status_code == 400, body
    assert http.post(PATH, content=b'{"encrypt": "x"}').status_code == 400  # no query parameters
    assert http.post(PATH, params=query, content=b"x" * (MAX_BODY + 1)).status_code == 413
    chunked = iter([b"x" * 40_000, b"x" * 40_000])  # no Content-Length: counted as it arrives
    assert http.post(PATH, params=query, content=chunked).status_code == 413


def test_wrong_aes_key_is_403(client) -> None:
    http, _, _ = client
    query, body = Wire(aes_key=OTHER_KEY).callback(text_msg("alice", "帮助"))  # same token: signature holds
    assert http.post(PATH, params=query, content=body).status_code == 403


# ----- conversations -----

def test_served_by_the_wecom_channel_of_studybot_run(tmp_path: Path, clock: ManualClock) -> None:
    from bot.channels.registry import add_platform_channels

    app = make_app(tmp_path, clock, wecom=robot_settings())
    add_platform_channels(app)
    app.start()
    with TestClient(build_web(app)) as http:
        reply = Member(http, Wire(), "alice").say("帮助", chatid=None)
        assert "开始竞赛" in stream_content(reply)
    app.close()


def test_private_help_enter_chat_refresh_and_other_events(client) -> None:
    http, _, _ = client
    alice = Member(http, Wire(), "alice")
    reply = alice.say("帮助", chatid=None)
    assert reply["msgtype"] == "stream" and "开始竞赛" in stream_content(reply)
    refresh = alice.post({"msgid": "refresh1", "aibotid": "AIBOTID", "chattype": "single",
                          "from": {"userid": "alice"}, "msgtype": "stream", "stream": {"id": reply["stream"]["id"]}})
    assert refresh == reply  # the same stream, again
    welcome = alice.post({"msgid": "enter1", "aibotid": "AIBOTID", "chattype": "single", "from": {"userid": "alice"},
                          "msgtype": "event", "event": {"eventtype": "enter_chat"}})
    assert welcome["msgtype"] == "text" and BOT in welcome["text"]["content"]
    assert alice.post({"msgid": "img1", "chattype": "single", "from": {"userid": "alice"}, "msgtype": "image",
                       "image": {"url": "https://example.invalid/i"}}) is None
    assert alice.post({"msgid": "fb1", "chattype": "single", "from": {"userid": "alice"}, "msgtype": "event",
                       "event": {"eventtype": "feedback_event"}}) is None
    assert alice.say("大家好") is None  # group chatter is not for the bot: an empty 200


def test_group_without_webhook_logs_once_and_never_the_content(client, caplog: pytest.LogCaptureFixture) -> None:
    _, channel, _ = client
    chat = Chat("wecom", "wrNOHOOK", True, "wrNOHOOK")
    with caplog.at_level(logging.WARNING):
        channel.send(Outgoing(chat, "第 1 题答案：A（机密内容）"))
        channel.send(Outgoing(chat, "第 2 题答案：B（机密内容）"))
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert len(lines) == 1 and "wecom.webhooks" in lines[0] and "wrNOHOOK" in lines[0]
    assert "机密内容" not in caplog.text


def test_a_whole_contest_in_a_group(tmp_path: Path, clock: ManualClock, api: FakeWeComAPI) -> None:
    app, channel = build(tmp_path, clock, api_url=api.url, webhooks={GROUP: HOOK})
    # the roster: alice (书记: a scored contest) and bob in the group's branch; a question waits for both
    enrol(app, "alice", "bob", branch=GROUP, channel="wecom")
    wire = Wire()
    with Served(app, channel) as served, httpx.Client(base_url=served.url, timeout=5) as http:
        alice, bob = Member(http, wire, "alice"), Member(http, wire, "bob")
        start = alice.say("开始竞赛 测试题库 3 5秒")
        assert start["msgtype"] == "stream_with_template_card"  # the intro, then question 1 as a card
        assert "发起了知识竞赛" in stream_content(start)
        card = start["template_card"]
        assert "第 1/3 题" in card["main_title"]["title"]
        first = choice_of(card)
        # bob taps a button: his card shows his answer; tapping another keeps it; the group sees none of it
        assert card_view(bob.click(card, first), "bob", card) == (first, "已作答第 1 题，答案揭晓前不可更改。")
        answered, note = card_view(bob.click(card, other_choice(card)), "bob", card)
        assert answered == first and "以第一次作答为准" in note
        assert api.received() == []
        closed = alice.say(first)  # alice types it: both answered, question 1 closes at once
        step = json.dumps(closed, ensure_ascii=False)  # one reply: the reveal, then question 2 (a card if it fits)
        assert "第 1 题答案" in step and ("本题 2 人作答" in step or "答对 2 人" in step)
        assert step.index("第 1 题答案") < step.index("第 2/3 题")
        # bob taps question 1's card again: answers nothing, his card says the question is over
        assert card_view(bob.click(card, first), "bob", card) == ("", "第 1 题已经结束，请在第 2 题的卡片上作答。")
        second = closed.get("template_card")
        # question 2: alice answers; the deadline passes and the timer reveals it with question 3, one push
        if second:
            assert card_view(alice.click(second, choice_of(second)), "alice", second)[0] == choice_of(second)
        else:
            assert "alice 已作答第 2 题" in stream_content(alice.say(answer_for(closed)))
        clock.set(clock.now() + timedelta(seconds=6))
        served.call(app.fire_due_timers)
        [step] = pushed_until(api, "第 3/3 题")
        assert "第 2 题答案" in step.content and step.content.index("第 2 题答案") < step.content.index("第 3/3 题")
        if "请回复" in step.content:  # choices: how to answer without buttons
            assert "@我" in step.content
        clock.set(clock.now() + timedelta(seconds=6))
        served.call(app.fire_due_timers)
        sent = pushed_until(api, "竞赛结束")
        assert len(sent) == 2 and "第 3 题答案" in sent[-1].content  # the last reveal with the results
        assert "alice" in sent[-1].content and "bob" in sent[-1].content
        assert {r.query["key"] for r in sent} == {HOOK} and all(r.msgtype == "markdown" for r in sent)
    assert [index for index, _ in answers_in_db(app)] == [0, 0, 1]  # taps that answered nothing stored nothing
    app.close()


def test_a_retried_callback_gets_one_answer_and_the_same_reply(tmp_path: Path, clock: ManualClock,
                                                               api: FakeWeComAPI) -> None:
    app, channel = build(tmp_path, clock, api_url=api.url, webhooks={GROUP: HOOK})
    wire = Wire()
    with Served(app, channel) as served:
        with httpx.Client(base_url=served.url, timeout=5) as http:
            Member(http, wire, "bob").say("大家好")
            start = Member(http, wire, "alice").say("开始竞赛 测试题库 3 60秒")
        answer = choice_of(start["template_card"]) if "template_card" in start else answer_for(start)
        payload = text_msg("alice", answer, msgid="retried-msg-1")

        async def three_at_once() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=served.url, timeout=5) as http:
                calls = [http.post(PATH, params=q, content=b) for q, b in (wire.callback(payload) for _ in range(3))]
                return await asyncio.gather(*calls)

        replies = [wire.read(r) for r in asyncio.run(three_at_once())]
        assert replies[0] is not None and replies[0] == replies[1] == replies[2]
        assert "已作答第 1 题" in stream_content(replies[0])
        assert answers_in_db(app) == [(0, answer)]
        with httpx.Client(base_url=served.url, timeout=5) as http:
            assert Member(http, wire, "alice").post(payload) == replies[0]  # a 4th, later
    app.close()


def test_long_replies_fit_the_stream_and_the_rest_goes_to_the_webhook(tmp_path: Path, clock: ManualClock,
                                                                     api: FakeWeComAPI) -> None:
    app, channel = build(tmp_path, clock, api_url=api.url, webhooks={GROUP: HOOK})
    chat = Chat("wecom", GROUP, True, GROUP)
    big = "党" * 4000  # 12,000 bytes: one fits in a stream, two do not
    replies = [Outgoing(chat, big), Outgoing(chat, big + "二"), Outgoing(chat, "三", choices=("A", "B"),
                                                                         key="contest:1:q0")]
    app.handle = lambda incoming: replies  # type: ignore[method-assign]  # the channel is under test here
    with Served(app, channel) as served, httpx.Client(base_url=served.url, timeout=5) as http:
        reply = Member(http, Wire(), "alice").say("长消息")
    # the server stopped: the webhook's queue was flushed
    assert reply["msgtype"] == "stream" and stream_content(reply) == big
    assert len(stream_content(reply).encode()) <= STREAM_BYTES
    sent = api.received()
    assert "".join(r.content for r in sent[:-1]) == big + "二"  # split at 4,096 bytes
    assert all(len(r.content.encode()) <= 4096 for r in sent) and len(sent) == 4
    assert "三" in sent[-1].content and "@我" in sent[-1].content
    app.close()


# ----- helpers for a contest whose questions are drawn at random -----

def pushed_until(api: FakeWeComAPI, fragment: str) -> list[Any]:
    """What the group's webhook got, up to the first push with `fragment` (waiting for it)."""
    api.wait_until(lambda: any(fragment in r.content for r in api.received()), 5.0, lambda: f"no {fragment!r}")
    sent = api.received()
    return sent[: next(i for i, r in enumerate(sent) if fragment in r.content) + 1]


def choice_of(card: dict[str, Any]) -> str:
    if card["card_type"] == "vote_interaction":
        return "".join(o["id"] for o in card["checkbox"]["option_list"][:2])
    return card["button_list"][0]["text"]


def other_choice(card: dict[str, Any]) -> str:
    """Another answer than `choice_of(card)`."""
    if card["card_type"] == "vote_interaction":
        return card["checkbox"]["option_list"][-1]["id"]
    return card["button_list"][1]["text"]


def card_view(update: dict[str, Any] | None, user: str, card: dict[str, Any]) -> tuple[str, str]:
    """The passive reply to `user`'s tap on `card`: a change to their card only; what it shows afterwards:
    (the answer it shows as theirs, or "" where the card is closed for them; the note under its title)."""
    assert update is not None and update["response_type"] == "update_template_card"
    assert update["userids"] == [user] and update["template_card"]["task_id"] == card["task_id"]
    shown = update["template_card"]
    label = (shown.get("submit_button") or shown["button_list"][0])["text"]
    return label.removeprefix("已作答：") if label.startswith("已作答：") else "", shown["main_title"]["desc"]


def answer_for(reply: dict[str, Any]) -> str:
    """Something that counts as an answer to the question in this reply."""
    content = json.dumps(reply, ensure_ascii=False)
    return "对" if "判断题" in content else "实事求是" if "填空" in content else "A"
