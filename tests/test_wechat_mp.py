"""The WeChat Official Account channel on the real wire: requests signed and encrypted with
wechatpy's own crypto, replies decrypted with it, customer-service messages caught by a fake
WeChat API on loopback. Where a test checks that something was not sent, it first waits for a
later member's message to be sent: the sender serves members in the order they were queued."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
import xmltodict
from callback_wire import mp_reply
from fakes.wechat_api import FakeWeChatAPI
from fastapi.testclient import TestClient
from helpers import FakeTime, Uvicorn, make_app
from sqlalchemy import text
from sqlmodel import select
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot.app import App
from bot.channels.common.split import split_text
from bot.channels.wechat_mp.channel import MAX_BODY, PART_BYTES, WELCOME, WeChatMP
from bot.clock import ManualClock
from bot.messages import Chat, Outgoing
from bot.settings import ConfigError
from bot.storage.models import DailyAnswer
from bot.web import build_web

APP_ID = "wx5823bf96d3bd56c7"
SECRET = "s-app-secret-not-for-logs"
TOKEN = "t-callback-token"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # 43 characters
OTHER_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OPENID = "oUSER_openid_1"
PATH = "/wechat/mp"


# ----- the WeChat side of the wire -----

class Wire:
    """Builds callbacks the way WeChat's servers do, and reads the replies."""

    def __init__(self, *, token: str = TOKEN, aes_key: str | None = None, app_id: str = APP_ID) -> None:
        self.token = token
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None

    def query(self, timestamp: int | None = None, signature: str | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = uuid.uuid4().hex[:10]
        signer = WeChatSigner()
        signer.add_data(self.token, ts, nonce)
        return {"timestamp": ts, "nonce": nonce, "signature": signature or signer.signature}

    def request(self, xml: str, **query_args: Any) -> tuple[dict[str, str], bytes]:
        query = self.query(**query_args)
        if self.crypto is None:
            return query, xml.encode()
        envelope = xmltodict.parse(self.crypto.encrypt_message(xml, query["nonce"], query["timestamp"]))["xml"]
        query |= {"encrypt_type": "aes", "msg_signature": envelope["MsgSignature"], "openid": OPENID}
        body = (f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName>"
                f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>")
        return query, body.encode()

    def read(self, response: httpx.Response, openid: str = OPENID) -> str | None:
        """The passive reply's text (to `openid`), or None for "success"."""
        return mp_reply(response, self.crypto, openid)


def text_xml(content: str, msgid: int, openid: str = OPENID) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msgid}</MsgId></xml>")


def event_xml(event: str, openid: str = OPENID) -> str:
    return (f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event></xml>")


_msgids = iter(range(6_000_000_000_000_000_000, 7_000_000_000_000_000_000))


# ----- fixtures -----

@pytest.fixture
def api() -> Iterator[FakeWeChatAPI]:
    with FakeWeChatAPI(APP_ID, SECRET) as fake:
        yield fake


def build(tmp_path: Path, clock: ManualClock, api: FakeWeChatAPI, safe: bool,
          accept_plaintext: bool = False) -> tuple[App, WeChatMP]:
    section: dict[str, Any] = {"app_id": APP_ID, "app_secret": SECRET, "token": TOKEN, "api_base_url": api.url}
    if safe:
        section["encoding_aes_key"] = AES_KEY
    if accept_plaintext:
        section["accept_plaintext"] = True
    app = make_app(tmp_path, clock, wechat_mp=section)
    channel = WeChatMP(app=app, settings=app.settings.wechat_mp, sleep=FakeTime().sleep)  # retries wait no time
    app.add_channel(channel)
    app.start()
    return app, channel


class Bot:
    """The app behind a TestClient, its channel started on the client's event loop."""

    def __init__(self, app: App, channel: WeChatMP, http: TestClient, wire: Wire) -> None:
        self.app, self.channel, self.http, self.wire = app, channel, http, wire

    def post(self, xml: str, **query_args: Any) -> httpx.Response:
        query, body = self.wire.request(xml, **query_args)
        return self.http.post(PATH, params=query, content=body)

    def say(self, content: str, msgid: int | None = None, openid: str = OPENID) -> str | None:
        return self.wire.read(self.post(text_xml(content, msgid or next(_msgids), openid)), openid)


@pytest.fixture(params=["plain", "safe"])
def bot(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock, api: FakeWeChatAPI) -> Iterator[Bot]:
    safe = request.param == "safe"
    app, channel = build(tmp_path, clock, api, safe)
    with TestClient(build_web(app)) as http:
        http.portal.call(channel.start)
        yield Bot(app, channel, http, Wire(aes_key=AES_KEY if safe else None))
        http.portal.call(channel.stop)
    app.close()


@pytest.fixture
def plain_bot(tmp_path: Path, clock: ManualClock, api: FakeWeChatAPI) -> Iterator[Bot]:
    app, channel = build(tmp_path, clock, api, safe=False)
    with TestClient(build_web(app)) as http:
        http.portal.call(channel.start)
        yield Bot(app, channel, http, Wire())
        http.portal.call(channel.stop)
    app.close()


def daily_points(app: App) -> int:
    with app.db.session() as session:
        return session.execute(text("SELECT COALESCE(SUM(amount), 0) FROM points_ledger WHERE reason = 'daily'")
                               ).scalar_one()


def todays_answer(app: App) -> str:
    with app.db.session() as session:
        row = session.exec(select(DailyAnswer)).one()
    question = app.catalog.question(row.bank, row.question_key)
    assert question is not None
    return question.answer


def long_handle(app: App, *replies: Outgoing):
    """Replace the dispatcher's answer (the channel is what is under test here)."""
    calls: list[str] = []

    def handle(incoming):
        calls.append(incoming.text)
        return [Outgoing(incoming.chat, r.text, choices=r.choices) for r in replies]

    app.handle = handle  # type: ignore[method-assign]
    return calls


PROBE = "oPROBE_openid"


def settled(bot: Bot, api: FakeWeChatAPI) -> None:
    """Another member writes and gets a second reply as a customer-service message: once it is
    sent, the sender has served every member queued before (the dispatcher's answers are the
    test's own for the while)."""
    handle = bot.app.handle
    long_handle(bot.app, Outgoing(Chat("wechat_mp", PROBE, False), "探测"),
                Outgoing(Chat("wechat_mp", PROBE, False), "探测回复"))
    count = len(api.sent)
    assert bot.say("探测", openid=PROBE) == "探测"
    assert api.wait_for_sent(count + 1)[-1] == {"access_token": api.token, "touser": PROBE, "msgtype": "text",
                                                "content": "探测回复"}
    bot.app.handle = handle  # type: ignore[method-assign]


# ----- URL verification -----

def test_url_verification(plain_bot: Bot) -> None:
    query = plain_bot.wire.query() | {"echostr": "1616140317555161061"}
    response = plain_bot.http.get(PATH, params=query)
    assert (response.status_code, response.text) == (200, "1616140317555161061")
    bad = query | {"signature": "0" * 40}
    assert plain_bot.http.get(PATH, params=bad).status_code == 403
    stale = plain_bot.wire.query(timestamp=int(time.time()) - 301) | {"echostr": "x"}
    assert plain_bot.http.get(PATH, params=stale).status_code == 403


# ----- messages, both modes -----

def test_daily_question_answered_and_points_stored(bot: Bot) -> None:
    question = bot.say("每日一题")
    assert question is not None and question.startswith("📅 每日一题")
    verdict = bot.say(todays_answer(bot.app))
    assert verdict is not None and "答对" in verdict
    assert daily_points(bot.app) == 2  # points.daily
    with bot.app.db.session() as session:
        identity = session.execute(text("SELECT channel, external_id FROM identity")).one()
    assert tuple(identity) == ("wechat_mp", OPENID)


def test_retried_msgid_gets_the_same_reply_once(bot: Bot) -> None:
    bot.say("每日一题")
    msgid = next(_msgids)
    first = bot.say(todays_answer(bot.app), msgid)
    again = bot.say(todays_answer(bot.app), msgid)  # WeChat's retry after 5 s: new nonce and timestamp
    assert first == again and first is not None and "答对" in first
    assert daily_points(bot.app) == 2  # points.daily


def test_subscribe_gets_the_welcome_and_other_events_success(bot: Bot) -> None:
    assert bot.wire.read(bot.post(event_xml("subscribe"))) == WELCOME
    assert "帮助" in WELCOME
    assert bot.wire.read(bot.post(event_xml("unsubscribe"))) is None
    image = text_xml("x", next(_msgids)).replace("<MsgType><![CDATA[text]]>", "<MsgType><![CDATA[image]]>")
    assert bot.wire.read(bot.post(image)) is None


def test_long_reply_split_rest_as_customer_service_messages(bot: Bot, api: FakeWeChatAPI) -> None:
    long = "\n".join(f"第{i}行：学习贯彻党的二十大精神，坚定理想信念。" for i in range(60))  # ~4 KB: three parts
    calls = long_handle(bot.app, Outgoing(Chat("wechat_mp", OPENID, False), long),
                        Outgoing(Chat("wechat_mp", OPENID, False), "下一题", choices=("A", "B", "C", "D")))
    passive = bot.say("开始")
    parts = split_text(long, PART_BYTES)
    assert len(parts) == 3 and all(len(p.encode()) <= PART_BYTES for p in parts)
    assert passive == parts[0]
    sent = api.wait_for_sent(3)
    assert [m["content"] for m in sent] == [*parts[1:], "下一题\n回复 A/B/C/D"]
    assert {(m["touser"], m["msgtype"], m["access_token"]) for m in sent} == {(OPENID, "text", api.token)}
    assert "\n".join(parts) == long and calls == ["开始"]
    assert len(api.token_requests) == 1
    assert api.token_requests[0] == {"grant_type": "client_credential", "appid": APP_ID, "secret": SECRET}


# ----- the customer-service window -----

def test_five_per_user_message_and_the_rest_held_for_the_next(plain_bot: Bot, api: FakeWeChatAPI,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    chat = Chat("wechat_mp", OPENID, False)
    long_handle(plain_bot.app, *[Outgoing(chat, f"消息{i}") for i in range(8)])
    assert plain_bot.say("你好") == "消息0"
    sent = api.wait_for_sent(5)
    assert [m["content"] for m in sent] == [f"消息{i}" for i in range(1, 6)]
    settled(plain_bot, api)
    assert [m["content"] for m in api.sent[5:]] == ["探测回复"]  # 消息6 and 消息7 wait
    held = [r for r in caplog.records if "held until they write again" in r.getMessage()]
    assert len(held) == 1
    long_handle(plain_bot.app)  # the next message gets no reply of its own
    assert plain_bot.say("在吗") is None
    assert [m["content"] for m in api.wait_for_sent(8)[6:]] == ["消息6", "消息7"]


def test_proactive_send_waits_for_the_user_and_window_errors_hold(plain_bot: Bot, api: FakeWeChatAPI) -> None:
    chat = Chat("wechat_mp", OPENID, False)
    plain_bot.http.portal.call(plain_bot.channel.send, Outgoing(chat, "竞赛结果"))
    settled(plain_bot, api)
    assert [m["touser"] for m in api.sent] == [PROBE]  # never wrote: no window
    long_handle(plain_bot.app)
    api.errors.append(45047)  # WeChat says the window's messages are used up
    assert plain_bot.say("你好") is None
    settled(plain_bot, api)
    assert [m["touser"] for m in api.sent] == [PROBE, PROBE]
    long_handle(plain_bot.app)
    plain_bot.say("你好")
    assert [m["content"] for m in api.wait_for_sent(3)[2:]] == ["竞赛结果"]


# ----- what is refused -----

def test_bad_signature_is_refused_with_one_log_line(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    xml = text_xml("每日一题", next(_msgids))
    if bot.wire.crypto is None:
        response = bot.post(xml, signature="0" * 40)
    else:
        query, body = bot.wire.request(xml)
        response = bot.http.post(PATH, params=query | {"msg_signature": "0" * 40}, content=body)
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name.startswith("bot.channels.wechat_mp.")]
    assert len(records) == 1 and records[0].exc_info is None and "rejected (403)" in records[0].getMessage()
    assert "每日一题" not in caplog.text
    with bot.app.db.session() as session:
        assert session.execute(text("SELECT COUNT(*) FROM processed_message")).scalar_one() == 0


def test_safe_mode_refuses_a_plaintext_callback(tmp_path: Path, clock: ManualClock, api: FakeWeChatAPI,
                                                caplog: pytest.LogCaptureFixture) -> None:
    """Its `signature` covers only the token, timestamp and nonce: anyone who saw one callback URL
    could post any body as any follower for the window."""
    app, _ = build(tmp_path, clock, api, safe=True)
    caplog.set_level(logging.DEBUG, logger="bot")
    with TestClient(build_web(app)) as http:
        forged = Bot(app, _, http, Wire())  # plaintext, correctly signed
        response = forged.post(text_xml("每日一题", next(_msgids), openid="oFORGED"))
    app.close()
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name.startswith("bot.channels.wechat_mp.")]
    assert len(records) == 1 and records[0].exc_info is None
    assert "plaintext" in records[0].getMessage() and "accept_plaintext" in records[0].getMessage()
    with app.db.session() as session:
        assert session.execute(text("SELECT COUNT(*) FROM identity")).scalar_one() == 0
        assert session.execute(text("SELECT COUNT(*) FROM processed_message")).scalar_one() == 0


def test_compatible_mode_takes_plaintext_too_and_says_so_at_start(tmp_path: Path, clock: ManualClock,
                                                                   api: FakeWeChatAPI,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    app, channel = build(tmp_path, clock, api, safe=True, accept_plaintext=True)
    with TestClient(build_web(app)) as http:
        http.portal.call(channel.start)
        plain, safe = Bot(app, channel, http, Wire()), Bot(app, channel, http, Wire(aes_key=AES_KEY))
        assert plain.say("每日一题", openid="oPLAIN") is not None
        assert safe.say("每日一题", openid="oSAFE") is not None
        http.portal.call(channel.stop)
    app.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("accept_plaintext" in w and "plaintext" in w for w in warnings), warnings


def test_plain_mode_says_so_at_start(tmp_path: Path, clock: ManualClock, api: FakeWeChatAPI,
                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    app, channel = build(tmp_path, clock, api, safe=False)

    async def start_and_stop() -> None:
        await channel.start()
        await channel.stop()

    asyncio.run(start_and_stop())
    app.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("encoding_aes_key" in w for w in warnings), warnings


def test_stale_timestamp_is_refused(bot: Bot) -> None:
    response = bot.post(text_xml("每日一题", next(_msgids)), timestamp=int(time.time()) - 301)
    assert response.status_code == 403


def test_broken_xml_is_400(bot: Bot) -> None:
    xml = "<xml><ToUserName>gh_test</ToUserName><FromUserName>" + OPENID  # cut off
    if bot.wire.crypto is None:
        assert bot.post(xml).status_code == 400
    else:  # the envelope itself broken
        query, _ = bot.wire.request(text_xml("x", 1))
        assert bot.http.post(PATH, params=query, content=xml.encode()).status_code == 400


def test_oversized_body_is_413(plain_bot: Bot) -> None:
    query = plain_bot.wire.query()
    response = plain_bot.http.post(PATH, params=query, content=b"<xml>" + b"x" * MAX_BODY + b"</xml>")
    assert response.status_code == 413


def test_wrong_aes_key_is_403(tmp_path: Path, clock: ManualClock, api: FakeWeChatAPI,
                              caplog: pytest.LogCaptureFixture) -> None:
    app, channel = build(tmp_path, clock, api, safe=True)
    wire = Wire(aes_key=OTHER_KEY)  # signed with the right token, encrypted with another key
    caplog.set_level(logging.DEBUG, logger="bot")
    with TestClient(build_web(app)) as http:
        query, body = wire.request(text_xml("每日一题", next(_msgids)))
        assert http.post(PATH, params=query, content=body).status_code == 403
    app.close()
    assert [r.exc_info for r in caplog.records if r.name.startswith("bot.channels.wechat_mp.")] == [None]
    assert AES_KEY not in caplog.text and OTHER_KEY not in caplog.text


def test_bad_key_length_refused_at_start(tmp_path: Path, clock: ManualClock) -> None:
    with pytest.raises(ConfigError, match="wechat_mp.encoding_aes_key: 应为 43 个字符"):  # with the key path
        make_app(tmp_path, clock, wechat_mp={"app_id": APP_ID, "app_secret": SECRET, "token": TOKEN,
                                             "encoding_aes_key": AES_KEY[:-1]})


def test_split_text() -> None:
    assert split_text("短消息", PART_BYTES) == ["短消息"]
    one_line = "党" * 1000  # 3,000 bytes, no line break
    assert split_text(one_line, PART_BYTES) == ["党" * 682, "党" * 318]
    assert split_text("a\n" * 3, 4) == ["a\na", "a"]
    assert split_text("", PART_BYTES) == []


# ----- a real server -----

def test_real_server_safe_mode_long_reply(tmp_path: Path, clock: ManualClock, api: FakeWeChatAPI,
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    app, channel = build(tmp_path, clock, api, safe=True)
    wire = Wire(aes_key=AES_KEY)
    long = "\n".join(f"{i:03d} 不忘初心、牢记使命。" for i in range(200))  # ~6.2 KB
    long_handle(app, Outgoing(Chat("wechat_mp", OPENID, False), long))

    async def scenario() -> tuple[str | None, str]:
        await channel.start()
        server = Uvicorn(uvicorn.Config(build_web(app), host="127.0.0.1", port=0, log_config=None,
                                        access_log=False, lifespan="off"))
        serving = asyncio.create_task(server.serve())
        try:
            await server.listening_soon()
            port = server.servers[0].sockets[0].getsockname()[1]
            query, body = wire.request(text_xml("开始", next(_msgids)))
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http:
                passive = wire.read(await http.post(PATH, params=query, content=body))
                health = (await http.get("/healthz")).text
            await asyncio.to_thread(api.wait_for_sent, len(split_text(long, PART_BYTES)) - 1)
            return passive, health
        finally:
            server.should_exit = True
            await serving
            await channel.stop()

    passive, health = asyncio.run(scenario())
    app.close()
    parts = split_text(long, PART_BYTES)
    assert passive == parts[0] and "wechat_mp" in health
    assert [m["content"] for m in api.sent] == parts[1:]
    for secret in (SECRET, TOKEN, AES_KEY, api.token):
        assert secret not in caplog.text


def test_reply_text_cannot_break_out_of_its_cdata(bot: Bot) -> None:
    long_handle(bot.app, Outgoing(Chat("wechat_mp", OPENID, False), "没有看懂「]]><MsgType>news</MsgType>」\x07"))
    assert bot.say("x") == "没有看懂「]]><MsgType>news</MsgType>」"


# ----- notes for one member (issue 12) -----

def test_a_note_for_the_follower_is_their_reply_and_one_for_anybody_else_is_dropped(plain_bot: Bot,
                                                                                     api: FakeWeChatAPI) -> None:
    """Every chat here is one follower's: a note for them in it is sent like any reply (nobody else sees
    it); a note for someone else has no card to go on and is dropped."""
    def handle(incoming):
        return [Outgoing(incoming.chat, "给别人的", private_to="someone-else", about="contest:1:q0"),
                Outgoing(incoming.chat, "您已作答（B），以第一次作答为准。", private_to=OPENID, about="contest:1:q0",
                         answer="B")]

    plain_bot.app.handle = handle  # type: ignore[method-assign]  # the channel is under test here
    assert plain_bot.say("B") == "您已作答（B），以第一次作答为准。"
    plain_bot.http.portal.call(plain_bot.channel.send, Outgoing(Chat("wechat_mp", OPENID, False), "又一个给别人的",
                                                                private_to="someone-else"))
    settled(plain_bot, api)
    assert all("给别人的" not in m["content"] for m in api.sent)
