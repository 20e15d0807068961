"""The WeCom self-built app adapter, over the real wire: callbacks encrypted with wechatpy's own
crypto are POSTed to the real web app (uvicorn on loopback, or TestClient where only the status
matters), passive replies are decrypted and read, and active sends reach a fake WeCom API."""

from __future__ import annotations

import asyncio
import base64
import itertools
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
import xmltodict
import yaml
from fakes.wecom_app_api import FakeWeComAppAPI
from fastapi.testclient import TestClient
from helpers import T0, TEST_BANK_YAML, FakeTime, Uvicorn, make_app
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.app import App
from bot.channels.common.split import split_text
from bot.channels.wecom.app import TEXT_LIMIT, WeComApp, render_text
from bot.clock import SHANGHAI, ManualClock
from bot.messages import Chat, Outgoing
from bot.web import build_web

CORP = "ww1234567890abcdef"
AGENT = 1000002
TOKEN = "tok-Q7w2"
SECRET = "app-secret-9fKx2LmQ"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
OTHER_KEY = base64.b64encode(bytes(range(100, 132))).decode().rstrip("=")
NOW = int(T0.replace(tzinfo=SHANGHAI).timestamp())

# Tencent's WXBizMsgCrypt sample (WeCom doc 90968)
V_CORP, V_TOKEN, V_KEY = "wx5823bf96d3bd56c7", "QDG6eK", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
V_ECHO = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
V_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/"
    "sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+"
    "LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9"
    "EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2"
    "YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==")

_nonces = itertools.count(100000)
_msg_ids = itertools.count(7000000000000000001)


# ----- building callbacks and reading replies -----

def text_xml(user: str, content: str, msg_id: int, *, agent: int = AGENT, created: int = NOW) -> str:
    return (f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>{agent}</AgentID></xml>")


def event_xml(user: str, event: str, *, created: int = NOW) -> str:
    return (f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event><AgentID>{AGENT}</AgentID></xml>")


def image_xml(user: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
            f"<CreateTime>{NOW}</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://x/p]]></PicUrl>"
            f"<MediaId><![CDATA[m1]]></MediaId><MsgId>{next(_msg_ids)}</MsgId><AgentID>{AGENT}</AgentID></xml>")


def encrypted(plain: str, *, ts: int = NOW, corp: str = CORP, key: str = AES_KEY,
              token: str = TOKEN) -> tuple[dict[str, str], str]:
    """(query, body) of a callback as WeCom sends it, encrypted with wechatpy's crypto."""
    nonce = str(next(_nonces))
    wire = xmltodict.parse(WeChatCrypto(token, key, corp).encrypt_message(plain, nonce, str(ts)))["xml"]
    body = (f"<xml><ToUserName><![CDATA[{corp}]]></ToUserName><Encrypt><![CDATA[{wire['Encrypt']}]]></Encrypt>"
            f"<AgentID><![CDATA[{AGENT}]]></AgentID></xml>")
    return {"msg_signature": wire["MsgSignature"], "timestamp": wire["TimeStamp"], "nonce": nonce}, body


def read_reply(body: str, user: str) -> str:
    """The text of a passive reply, decrypted as WeCom does."""
    assert body, "expected a passive reply, got an empty 200"
    wire = xmltodict.parse(body)["xml"]
    plain = WeChatCrypto(TOKEN, AES_KEY, CORP).decrypt_message(body, wire["MsgSignature"], wire["TimeStamp"],
                                                              wire["Nonce"])
    reply = xmltodict.parse(plain)["xml"]
    assert (reply["MsgType"], reply["ToUserName"], reply["FromUserName"]) == ("text", user, CORP)
    assert int(reply["AgentID"]) == AGENT
    return reply["Content"]


# ----- the app, the channel, the server -----

def wecom_settings(api: str = "http://127.0.0.1:9", corp: str = CORP, agent: int = AGENT, token: str = TOKEN,
                   key: str = AES_KEY) -> dict:
    return {"corp_id": corp, "api_base_url": api,
            "app": {"agent_id": agent, "secret": SECRET, "token": token, "encoding_aes_key": key}}


def build(tmp_path: Path, clock: ManualClock, api: str = "http://127.0.0.1:9", **options) -> tuple[App, WeComApp]:
    app = make_app(tmp_path, clock, wecom=wecom_settings(api))
    wecom = app.settings.wecom
    channel = WeComApp(app=app, corp_id=wecom.corp_id, settings=wecom.app, api_base_url=wecom.api_base_url,
                       **{"backoff": (0.05, 0.2), "drain_timeout": 2.0, **options})
    app.add_channel(channel)
    app.start()
    return app, channel


@asynccontextmanager
async def serving(app: App, channel: WeComApp) -> AsyncIterator[httpx.AsyncClient]:
    """uvicorn on 127.0.0.1 in this loop, as `studybot run` serves, and a client for it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = Uvicorn(uvicorn.Config(build_web(app), log_config=None, access_log=False, lifespan="off"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    serve = asyncio.create_task(server.serve(sockets=[sock]))
    await server.listening_soon()
    await channel.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=5) as client:
            yield client
    finally:
        await channel.stop()
        server.should_exit = True
        await serve
        app.close()


async def say(client: httpx.AsyncClient, user: str, text: str, msg_id: int | None = None) -> httpx.Response:
    query, body = encrypted(text_xml(user, text, msg_id or next(_msg_ids)))
    response = await client.post("/wecom/app", params=query, content=body)
    assert response.status_code == 200
    return response


def scalar(app: App, sql: str, **params):
    from sqlalchemy import text

    with app.db.session() as session:
        return session.connection().execute(text(sql), params).scalar()


def correct_answer(question_text: str) -> str:
    for q in yaml.safe_load(TEST_BANK_YAML)["questions"]:
        if q["question"] in question_text:
            answer = q["answer"]
            return answer[0] if isinstance(answer, list) else str(answer)
    raise AssertionError(f"not a question of the test bank: {question_text}")


# ----- tests -----

def test_official_tencent_vectors_verify_and_decrypt_through_the_route(tmp_path: Path) -> None:
    clock = ManualClock(datetime.fromtimestamp(1409659700, SHANGHAI).replace(tzinfo=None))
    app = make_app(tmp_path, clock, wecom=wecom_settings(corp=V_CORP, agent=218, token=V_TOKEN, key=V_KEY))
    channel = WeComApp(app=app, corp_id=V_CORP, settings=app.settings.wecom.app, api_base_url="http://127.0.0.1:9")
    app.add_channel(channel)
    app.start()
    try:
        with TestClient(build_web(app)) as client:
            verify = client.get("/wecom/app", params={"msg_signature": "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
                                                      "timestamp": "1409659589", "nonce": "263014780",
                                                      "echostr": V_ECHO})
            assert (verify.status_code, verify.text) == (200, "1616140317555161061")
            assert verify.headers["content-type"].startswith("text/plain")
            body = (f"<xml><ToUserName><![CDATA[{V_CORP}]]></ToUserName><Encrypt><![CDATA[{V_ENCRYPT}]]></Encrypt>"
                    "<AgentID><![CDATA[218]]></AgentID></xml>")
            hello = client.post("/wecom/app", content=body, params={
                "msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6", "timestamp": "1409659813",
                "nonce": "1372623149"})
            assert hello.status_code == 200
        # 'hello' from 'mycreate' reached the dispatcher: the sender is known and the MsgId recorded
        assert scalar(app, "SELECT COUNT(*) FROM identity WHERE channel = 'wecom' AND external_id = 'mycreate'") == 1
        assert scalar(app, "SELECT COUNT(*) FROM processed_message WHERE message_id = '4561255354251345929'") == 1
    finally:
        app.close()


def test_daily_question_help_and_retried_msgid_over_a_real_server(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    app, channel = build(tmp_path, clock)

    async def scenario() -> None:
        async with serving(app, channel) as client:
            help_text = read_reply((await say(client, "zhangsan", "帮助")).text, "zhangsan")
            assert help_text.startswith("👋 我是") and "每日一题" in help_text

            question = read_reply((await say(client, "zhangsan", "每日一题")).text, "zhangsan")
            assert question.startswith("📅 每日一题")

            # the answer, delivered three times at once with one MsgId (WeCom's retries)
            msg_id = next(_msg_ids)
            answer = correct_answer(question)
            calls = [encrypted(text_xml("zhangsan", answer, msg_id)) for _ in range(3)]
            responses = await asyncio.gather(*(client.post("/wecom/app", params=q, content=b) for q, b in calls))
            assert [r.status_code for r in responses] == [200, 200, 200]
            replies = [read_reply(r.text, "zhangsan") for r in responses]
            assert replies[0].startswith("✅ zhangsan 答对了！+2 积分")
            assert replies == [replies[0]] * 3
            # and once more, later: the same reply again, no second award
            assert read_reply((await say(client, "zhangsan", answer, msg_id)).text, "zhangsan") == replies[0]

    asyncio.run(scenario())
    member = scalar(app, "SELECT member_id FROM identity WHERE channel = 'wecom' AND external_id = 'zhangsan'")
    assert scalar(app, "SELECT COUNT(*) FROM points_ledger WHERE member_id = :m AND reason = 'daily'", m=member) == 1
    assert scalar(app, "SELECT SUM(amount) FROM points_ledger WHERE member_id = :m", m=member) == 2


def test_slow_replies_and_pushes_go_out_through_message_send(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    fake = FakeTime()  # the retries' waits, asked for and not waited
    with FakeWeComAppAPI(CORP, SECRET) as api:
        # every reply counts as late
        app, channel = build(tmp_path, clock, api=api.url, reply_budget=0, sleep=fake.sleep)

        async def scenario() -> None:
            async with serving(app, channel) as client:
                late = await say(client, "lisi", "帮助")
                assert late.text == ""  # an empty 200: WeCom stops waiting, the reply comes actively
                (help_sent,) = await asyncio.to_thread(api.wait_for_sent, 1)
                assert help_sent["text"]["content"].startswith("👋 我是")

                api.errors.extend([-1, 502])  # 系统繁忙: backoff; a bad gateway (it may have arrived): a pause
                channel.send(Outgoing(Chat("wecom", "lisi", False, "私聊"), "📝 第 1/5 题\n党的最高领导机关是（）。",
                                      choices=("A", "B", "C", "D")))
                channel.send(Outgoing(Chat("wecom", "学习群", True, "学习群"), "群消息"))  # the app has no groups
                _, pushed = await asyncio.to_thread(api.wait_for_sent, 2)
                assert pushed["text"]["content"].endswith("回复 A/B/C/D")

        asyncio.run(scenario())
        assert [m["touser"] for m in api.sent] == ["lisi", "lisi"]
        assert {(m["agentid"], m["msgtype"], m["access_token"]) for m in api.sent} == {(AGENT, "text", api.token)}
        assert api.attempts == 4  # the push took three tries; the group message was never sent
        assert fake.sleeps == [0.05, 30.0]  # backing off, then the pause before the one more try
        assert api.token_requests == [{"corpid": CORP, "corpsecret": SECRET}]  # fetched once, from the fake


@pytest.mark.parametrize("case, status, logged", [
    ("forged signature", 403, "bad signature"), ("stale timestamp", 403, "outside the 300 s window"),
    ("wrong corp id", 403, "another corp id"), ("wrong AES key", 403, "cannot decrypt"),
    ("broken XML", 400, "not an encrypted WeCom XML body"), ("no signature", 400, "parameters missing"),
    ("too large", 413, "over 65536 bytes"), ("GET forged signature", 403, "bad signature"),
])
def test_bad_callbacks_are_refused_with_one_log_line(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                     case: str, status: int, logged: str) -> None:
    app, channel = build(tmp_path, ManualClock(T0))
    query, body = encrypted(text_xml("wangwu", "帮助", next(_msg_ids)))
    if case == "forged signature":
        query["msg_signature"] = "0" * 40
    elif case == "stale timestamp":
        query, body = encrypted(text_xml("wangwu", "帮助", next(_msg_ids)), ts=NOW - 301)
    elif case == "wrong corp id":
        query, body = encrypted(text_xml("wangwu", "帮助", next(_msg_ids)), corp="wwsomeoneelse000001")
    elif case == "wrong AES key":
        query, body = encrypted(text_xml("wangwu", "帮助", next(_msg_ids)), key=OTHER_KEY)
    elif case == "broken XML":
        body = body.replace("</xml>", "")
    elif case == "no signature":
        del query["msg_signature"]
    elif case == "too large":
        body = "<xml>" + "x" * 70_000 + "</xml>"
    caplog.set_level(logging.INFO, logger="bot.channels.wecom")
    with TestClient(build_web(app)) as client:
        if case.startswith("GET"):
            response = client.get("/wecom/app", params={**query, "msg_signature": "0" * 40, "echostr": "abc"})
        else:
            response = client.post("/wecom/app", params=query, content=body)
    assert response.status_code == status
    records = [r for r in caplog.records if r.name.startswith("bot.channels.wecom.")]
    assert len(records) == 1 and records[0].levelno == logging.WARNING and records[0].exc_info is None
    assert logged in records[0].getMessage()
    assert SECRET not in caplog.text and TOKEN not in caplog.text and AES_KEY not in caplog.text
    assert scalar(app, "SELECT COUNT(*) FROM processed_message") == 0  # nothing reached the dispatcher
    app.close()


def test_events_other_types_and_other_agents(tmp_path: Path) -> None:
    app, channel = build(tmp_path, ManualClock(T0))
    with TestClient(build_web(app)) as client:
        def post(plain: str) -> httpx.Response:
            query, body = encrypted(plain)
            response = client.post("/wecom/app", params=query, content=body)
            assert response.status_code == 200
            return response

        assert "每日一题" in read_reply(post(event_xml("zhaoliu", "subscribe")).text, "zhaoliu")  # a welcome
        assert post(event_xml("zhaoliu", "enter_agent")).text == ""  # every visit: no message
        assert post(image_xml("zhaoliu")).text == ""
        assert post(event_xml("zhaoliu", "some_future_event")).text == ""
        assert post(text_xml("zhaoliu", "帮助", next(_msg_ids), agent=1000099)).text == ""  # another app's
    app.close()


def test_active_send_failure_is_logged_without_secrets(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    app, channel = build(tmp_path, ManualClock(T0), api=f"http://127.0.0.1:{closed.getsockname()[1]}",
                         send_attempts=2, sleep=FakeTime().sleep)
    caplog.set_level(logging.DEBUG)

    async def scenario() -> None:
        await channel.start()
        channel.send(Outgoing(Chat("wecom", "lisi", False, "私聊"), "明天 9 点主题党日"))
        await channel.stop()

    asyncio.run(scenario())
    app.close()
    closed.close()
    assert "not sent (gettoken: ConnectionError (after 2 attempts))" in caplog.text  # refused: tried again
    assert SECRET not in caplog.text and "corpsecret" not in caplog.text


def test_rendering() -> None:
    chat = Chat("wecom", "u", False, "私聊")
    assert render_text(Outgoing(chat, "判断题", choices=("对", "错"))) == "判断题\n回复 对/错"
    assert render_text(Outgoing(chat, "你好")) == "你好"
    pieces = split_text("\n".join(["一二三四五六七八九十" * 10] * 10), 700)
    assert all(len(p.encode()) <= 700 for p in pieces) and "".join(pieces).replace("\n", "") == \
        "一二三四五六七八九十" * 100
    assert split_text("字" * 1000, TEXT_LIMIT) == ["字" * 682, "字" * 318]
