"""The three HTTP callback endpoints as `studybot run` serves them (add_platform_channels, build_web),
driven in-process through httpx's ASGI transport, and requests built for them the way WeChat's and
WeCom's servers build them: signed and encrypted with wechatpy's own crypto. Used by the tests of
what the endpoints refuse and by the callback fuzz."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import xmltodict
from helpers import make_app
from sqlalchemy import inspect, text
from wechatpy.crypto import PrpCrypto, WeChatCrypto

from bot.app import App
from bot.channels.registry import add_platform_channels
from bot.channels.wechat_mp.channel import WeChatMP
from bot.channels.wecom.app import WeComApp
from bot.channels.wecom.robot_http import WeComRobotHTTP
from bot.clock import SHANGHAI, ManualClock
from bot.web import build_web

__all__ = ["MP_KEY", "mp_reply", "Call", "MPWire", "AppWire", "RobotWire", "Service", "sections", "stored", "sign",
           "served", "ENDPOINTS", "Endpoint", "open_endpoint"]

MP_APP_ID, MP_TOKEN = "wx5823bf96d3bd56c7", "mp-callback-token"
MP_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
CORP, AGENT, APP_TOKEN = "ww1234567890abcdef", 1000002, "app-callback-token"
APP_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")
ROBOT_TOKEN, ROBOT_KEY = "robot-callback-token", "kWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
UNREACHABLE = "http://127.0.0.1:9"  # nothing here is meant to leave the process

_nonces = itertools.count(1)


def sections(*, mp_key: bool = True, accept_plaintext: bool = False) -> dict[str, Any]:
    """studybot.yaml's wecom (self-built app and callback robot) and wechat_mp sections."""
    mp: dict[str, Any] = {"app_id": MP_APP_ID, "app_secret": "mp-app-secret", "token": MP_TOKEN,
                          "api_base_url": UNREACHABLE}
    if accept_plaintext:
        mp["accept_plaintext"] = True
    if mp_key:
        mp["encoding_aes_key"] = MP_KEY
    wecom = {"corp_id": CORP, "api_base_url": UNREACHABLE,
             "app": {"agent_id": AGENT, "secret": "app-secret", "token": APP_TOKEN, "encoding_aes_key": APP_KEY},
             "robot": {"mode": "callback", "token": ROBOT_TOKEN, "encoding_aes_key": ROBOT_KEY}}
    return {"wecom": wecom, "wechat_mp": mp}


def sign(*parts: str) -> str:
    """The platforms' callback signature: sha1 of the sorted parts."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _nonce() -> str:
    return f"{next(_nonces):010d}"


@dataclass(frozen=True)
class Call:
    """One request to an endpoint."""

    method: str
    path: str
    params: dict[str, str]
    body: bytes = b""

    def but(self, *, body: bytes | None = None, **params: str) -> Call:
        """The same request with some query parameters replaced (or dropped, given "") or another body."""
        merged = {k: v for k, v in (self.params | params).items() if v != ""}
        return Call(self.method, self.path, merged, self.body if body is None else body)


Stamp = int | str | None


class MPWire:
    """The Official Account's servers: plaintext (signature over token, timestamp, nonce) or, with
    `safe`, the encrypted body and its msg_signature as well."""

    path = "/wechat/mp"
    openid = "oUSER_openid_1"

    def __init__(self, *, safe: bool, now: Callable[[], float] = time.time, key: str = MP_KEY) -> None:
        self.crypto = WeChatCrypto(MP_TOKEN, key, MP_APP_ID) if safe else None
        self.now = now

    def message(self, text: str, msgid: int | str, *, user: str | None = None, timestamp: Stamp = None,
                nonce: str | None = None) -> Call:
        user = user or self.openid
        xml = (f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
               f"<CreateTime>{int(self.now())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
               f"<Content><![CDATA[{text}]]></Content><MsgId>{msgid}</MsgId></xml>")
        return self.carrying(xml, user=user, timestamp=timestamp, nonce=nonce)

    def carrying(self, xml: str, *, user: str | None = None, timestamp: Stamp = None,
                 nonce: str | None = None) -> Call:
        ts, nonce = str(int(self.now()) if timestamp is None else timestamp), nonce or _nonce()
        params = {"timestamp": ts, "nonce": nonce, "signature": sign(MP_TOKEN, ts, nonce)}
        if self.crypto is None:
            return Call("POST", self.path, params, xml.encode())
        encrypt = PrpCrypto(self.crypto.key).encrypt(xml, MP_APP_ID).decode()
        params |= {"encrypt_type": "aes", "msg_signature": sign(MP_TOKEN, ts, nonce, encrypt),
                   "openid": user or self.openid}
        body = f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
        return Call("POST", self.path, params, body.encode())

    def verification(self, echo: str = "1616140317555161061", *, timestamp: Stamp = None,
                     nonce: str | None = None) -> Call:
        ts, nonce = str(int(self.now()) if timestamp is None else timestamp), nonce or _nonce()
        return Call("GET", self.path, {"signature": sign(MP_TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce,
                                       "echostr": echo})

    def read(self, response: httpx.Response, openid: str | None = None) -> str | None:
        return mp_reply(response, self.crypto, openid or self.openid)


def mp_reply(response: httpx.Response, crypto: WeChatCrypto | None, openid: str) -> str | None:
    """The text of the Official Account's passive reply to `openid` (decrypted with `crypto` in
    safe mode, where nothing may be in clear), or None for "success"."""
    assert response.status_code == 200, response.text
    if response.text in ("success", ""):
        return None
    xml = response.text
    if crypto is not None:
        envelope = xmltodict.parse(xml)["xml"]
        assert set(envelope) == {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}  # nothing in clear
        xml = crypto.decrypt_message(xml, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
    reply = xmltodict.parse(xml)["xml"]
    assert reply["MsgType"] == "text" and reply["ToUserName"] == openid and reply["FromUserName"] == "gh_test"
    return reply["Content"]


class _Encrypted:
    """WeCom's side: every payload encrypted for `receive_id`, msg_signature over the ciphertext."""

    path = ""

    def __init__(self, token: str, key: str, receive_id: str, now: Callable[[], float]) -> None:
        self.token, self.receive_id, self.now = token, receive_id, now
        self.crypto = WeChatCrypto(token, key, receive_id)
        self.prp = PrpCrypto(self.crypto.key)

    def _encrypt(self, plain: str) -> str:
        return self.prp.encrypt(plain, self.receive_id).decode()

    def _params(self, encrypt: str, timestamp: Stamp, nonce: str | None) -> dict[str, str]:
        ts, nonce = str(int(self.now()) if timestamp is None else timestamp), nonce or _nonce()
        return {"msg_signature": sign(self.token, ts, nonce, encrypt), "timestamp": ts, "nonce": nonce}

    def verification(self, echo: str = "1616140317555161061", *, timestamp: Stamp = None,
                     nonce: str | None = None) -> Call:
        echostr = self._encrypt(echo)
        return Call("GET", self.path, self._params(echostr, timestamp, nonce) | {"echostr": echostr})


class AppWire(_Encrypted):
    """WeCom's servers calling the self-built app: encrypted XML for the corp id."""

    path = "/wecom/app"

    def __init__(self, now: Callable[[], float], key: str = APP_KEY) -> None:
        super().__init__(APP_TOKEN, key, CORP, now)

    def message(self, text: str, msgid: int | str, *, user: str = "zhangsan", timestamp: Stamp = None,
                nonce: str | None = None) -> Call:
        xml = (f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>"
               f"<CreateTime>{int(self.now())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
               f"<Content><![CDATA[{text}]]></Content><MsgId>{msgid}</MsgId><AgentID>{AGENT}</AgentID></xml>")
        return self.carrying(xml, timestamp=timestamp, nonce=nonce)

    def carrying(self, plain: str, *, timestamp: Stamp = None, nonce: str | None = None) -> Call:
        encrypt = self._encrypt(plain)
        body = (f"<xml><ToUserName><![CDATA[{CORP}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt>"
                f"<AgentID><![CDATA[{AGENT}]]></AgentID></xml>")
        return Call("POST", self.path, self._params(encrypt, timestamp, nonce), body.encode())

    def read(self, response: httpx.Response) -> str | None:
        assert response.status_code == 200, response.status_code
        if not response.text:
            return None
        envelope = xmltodict.parse(response.text)["xml"]
        plain = self.crypto.decrypt_message(response.text, envelope["MsgSignature"], envelope["TimeStamp"],
                                            envelope["Nonce"])
        return xmltodict.parse(plain)["xml"]["Content"]


class RobotWire(_Encrypted):
    """WeCom's servers calling the smart robot (HTTP mode): encrypted JSON, receive id ""."""

    path = "/wecom/robot"

    def __init__(self, now: Callable[[], float] = time.time, key: str = ROBOT_KEY) -> None:
        super().__init__(ROBOT_TOKEN, key, "", now)

    def message(self, text: str, msgid: int | str, *, user: str = "alice", timestamp: Stamp = None,
                nonce: str | None = None) -> Call:
        payload = {"msgid": str(msgid), "aibotid": "AIBOTID", "from": {"userid": user}, "chattype": "single",
                   "response_url": "https://example.invalid/aibot/response", "msgtype": "text",
                   "text": {"content": text}}
        return self.carrying(json.dumps(payload, ensure_ascii=False), timestamp=timestamp, nonce=nonce)

    def carrying(self, plain: str, *, timestamp: Stamp = None, nonce: str | None = None) -> Call:
        encrypt = self._encrypt(plain)
        body = json.dumps({"encrypt": encrypt}).encode()
        return Call("POST", self.path, self._params(encrypt, timestamp, nonce), body)

    def read(self, response: httpx.Response) -> dict[str, Any] | None:
        assert response.status_code == 200, response.status_code
        if not response.content:
            return None
        wrapper = response.json()
        plain = self.crypto.decrypt_message({"Encrypt": wrapper["encrypt"]}, wrapper["msgsignature"],
                                            str(wrapper["timestamp"]), wrapper["nonce"])
        return json.loads(plain)


class Service:
    """The app's web side in-process (httpx over ASGI) on one event loop that the test drives, its
    channels started on it as `studybot run` starts them."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._loop = asyncio.Runner()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=build_web(app)), base_url="http://bot")
        for channel in app.channels.values():
            self._loop.run(channel.start())

    def close(self) -> None:
        for channel in self.app.channels.values():
            self._loop.run(channel.stop())
        self._loop.run(self._client.aclose())
        self._loop.close()

    async def _send(self, call: Call) -> httpx.Response:
        return await self._client.request(call.method, call.path, params=call.params,
                                          content=call.body if call.method == "POST" else None)

    def send(self, call: Call) -> httpx.Response:
        return self._loop.run(self._send(call))

    def at_once(self, calls: Iterable[Call]) -> list[httpx.Response]:
        """The calls sent concurrently."""
        async def gather() -> list[httpx.Response]:
            return list(await asyncio.gather(*(self._send(call) for call in calls)))
        return self._loop.run(gather())

    def wall(self) -> float:
        """The app's clock as Unix seconds (the self-built app checks timestamps against it)."""
        return self.app.clock.now().replace(tzinfo=SHANGHAI).timestamp()


def served(tmp_path: Path, clock: ManualClock, **options: Any) -> Service:
    """An app with the three callback endpoints configured (`options` as for `sections`), started."""
    app = make_app(tmp_path, clock, **sections(**options))
    add_platform_channels(app)
    app.start()
    return Service(app)


ENDPOINTS = ["mp_plain", "mp_safe", "app", "robot"]  # the Official Account without and with its key


class Endpoint:
    """One endpoint of a served app, and the platform's side of its wire."""

    def __init__(self, name: str, service: Service, wire: MPWire | AppWire | RobotWire) -> None:
        self.name, self.service, self.wire = name, service, wire

    def close(self) -> None:
        self.service.close()
        self.service.app.close()


def open_endpoint(name: str, tmp_path: Path, clock: ManualClock, remember: int | None = None) -> Endpoint:
    """`name` of ENDPOINTS, served: all three as studybot run serves them (the Official Account
    keyless for "mp_plain"), or with `remember` that one alone, keeping at most so many replies,
    streams, cards and (timestamp, nonce) pairs."""
    service = served(tmp_path, clock, mp_key=name != "mp_plain") if remember is None \
        else Service(_alone(name, make_app(tmp_path, clock, **sections(mp_key=name != "mp_plain")), remember))
    wire = {"mp_plain": lambda: MPWire(safe=False), "mp_safe": lambda: MPWire(safe=True),
            "app": lambda: AppWire(service.wall), "robot": RobotWire}[name]()
    return Endpoint(name, service, wire)


def _alone(name: str, app: App, remember: int) -> App:
    wecom, mp = app.settings.wecom, app.settings.wechat_mp
    assert wecom is not None and wecom.app is not None and mp is not None
    channel: WeChatMP | WeComApp | WeComRobotHTTP
    if name.startswith("mp"):
        channel = WeChatMP(app=app, settings=mp, remember=remember)
    elif name == "app":
        channel = WeComApp(app=app, corp_id=wecom.corp_id, settings=wecom.app, api_base_url=wecom.api_base_url,
                           remember=remember)
    else:
        channel = WeComRobotHTTP(app=app, settings=wecom, webhooks=None, remember=remember)
    app.add_channel(channel)
    app.start()
    return app


def stored(app: App) -> dict[str, int]:
    """The number of rows in every table: what a refused request must leave as it was."""
    with app.db.engine.connect() as conn:
        return {name: conn.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()
                for name in inspect(conn).get_table_names()}
