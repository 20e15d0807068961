"""The WeCom smart robot in HTTP callback mode: `GET/POST /wecom/robot`.

WeCom POSTs encrypted JSON; we check it (size, timestamp, signature, our key), decrypt it and
answer passively with one encrypted reply, which passive.py makes. This mode has no proactive
send: timer-driven messages go through the group's 消息推送 webhook (`wecom.webhooks`, by group
name or chat id).

WeCom retries a callback it got no answer to (same msgid, up to 3 times, possibly at once). The
dispatcher ignores a repeated message id, so the reply given the first time is kept by msgid for
a few minutes and given again: a reply lost on the way is not lost.

Runs on the service's loop thread: `app.handle` is called directly (see bot/service.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from bot.app import App
from bot.channels.common import callbacks
from bot.channels.common.replays import ReplayGuard
from bot.channels.common.reply_cache import MAX_ENTRIES, TTLCache
from bot.channels.wecom.crypto import RobotCrypto, RobotCryptoError
from bot.channels.wecom.passive import STREAM_BYTES, Conversation
from bot.channels.wecom.webhook import GroupWebhooks
from bot.messages import Outgoing
from bot.settings import WeComSettings

__all__ = ["WeComRobotHTTP", "PATH", "MAX_BODY", "STREAM_BYTES"]

log = logging.getLogger(__name__)

PATH = "/wecom/robot"
MAX_BODY = 64 * 1024
REPLY_TTL = 300.0  # WeCom retries within seconds; a few minutes is plenty


def _status(code: int) -> Response:
    return Response(status_code=code)


class WeComRobotHTTP:
    """`window`: seconds a callback's timestamp may be from `wall_clock`; `remember`: at most this
    many replies, streams, cards and (timestamp, nonce) pairs are kept."""

    def __init__(self, *, app: App, settings: WeComSettings, webhooks: GroupWebhooks | None,
                 channel: str = "wecom", path: str = PATH, window: float = 300.0,
                 wall_clock: Callable[[], float] = time.time, remember: int = MAX_ENTRIES) -> None:
        robot = settings.robot
        if robot is None or robot.token is None or robot.encoding_aes_key is None:
            raise ValueError("wecom.robot 回调模式需要 token 和 encoding_aes_key")
        self.name = channel
        self._webhooks, self._path = webhooks, path
        self._wall = wall_clock
        self._guard = ReplayGuard(window=window, clock=wall_clock, remember=remember)
        self._crypto = RobotCrypto(robot.token.get_secret_value(), robot.encoding_aes_key.get_secret_value())
        self._conversation = Conversation(app=app, channel=channel, webhooks=webhooks, remember=remember)
        self._replies: TTLCache[asyncio.Future[dict[str, Any] | None]] = TTLCache(REPLY_TTL, remember)

    # ----- service -----

    def router(self) -> APIRouter:
        return callbacks.router(self._path, verify=self._verify_url, receive=self._callback)

    async def start(self) -> None:
        if self._webhooks is not None:
            await self._webhooks.start()  # idempotent: the WeCom channel may start them too

    async def stop(self) -> None:
        if self._webhooks is not None:
            await self._webhooks.stop()

    # ----- HTTP -----

    async def _verify_url(self, request: Request) -> Response:
        """URL verification when the callback is saved in the admin console: echo the plaintext."""
        query = request.query_params
        signature, timestamp, nonce, echostr = (query.get(name) for name in
                                                ("msg_signature", "timestamp", "nonce", "echostr"))
        if not (signature and timestamp and nonce and echostr):
            return self._reject(request, 400, "URL verification without its parameters")
        if (stale := self._guard.stale(timestamp)) is not None:
            return self._reject(request, 403, f"URL verification refused: {stale}")
        if not self._crypto.verify(signature, timestamp, nonce, echostr):
            return self._reject(request, 403, "URL verification with a bad signature")
        try:
            plain = self._crypto.decrypt(echostr)
        except RobotCryptoError:
            return self._reject(request, 403, "URL verification echostr does not decrypt with our key")
        if replayed := self._guard.replayed(timestamp, nonce, "URL check"):  # made once per save in the console
            return self._reject(request, 403, f"URL verification refused: {replayed}")
        return Response(plain, media_type="text/plain")

    async def _callback(self, request: Request) -> Response:
        try:
            body = await callbacks.read_body(request, MAX_BODY)
        except callbacks.BodyTooLarge:
            return self._reject(request, 413, "body too large")
        query = request.query_params
        signature, timestamp, nonce = (query.get(n) for n in ("msg_signature", "timestamp", "nonce"))
        if not (signature and timestamp and nonce):
            return self._reject(request, 400, "callback without msg_signature, timestamp or nonce")
        try:
            encrypt = json.loads(body)["encrypt"]
        except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: "[[[[…" past json's depth
            encrypt = None
        if not isinstance(encrypt, str) or not encrypt:
            return self._reject(request, 400, "body is not JSON with an encrypt field")
        if (stale := self._guard.stale(timestamp)) is not None:
            return self._reject(request, 403, stale)
        if not self._crypto.verify(signature, timestamp, nonce, encrypt):
            return self._reject(request, 403, "bad signature")
        try:
            plain = self._crypto.decrypt(encrypt)
            payload = json.loads(plain)
        except (RobotCryptoError, ValueError, RecursionError):
            payload = None
        if not isinstance(payload, dict):
            return self._reject(request, 403, "payload does not decrypt with our key")
        if replayed := self._guard.replayed(timestamp, nonce, plain, kept=self._kept(payload)):
            return self._reject(request, 403, replayed)
        reply = await self._answer(payload)
        if reply is None:
            return _status(200)
        wrapped = self._crypto.encrypt(json.dumps(reply, ensure_ascii=False), nonce, str(int(self._wall())))
        return Response(json.dumps(wrapped), media_type="application/json")

    @staticmethod
    def _reject(request: Request, status: int, why: str) -> Response:
        client = request.client.host if request.client else "?"
        log.warning("wecom robot: %s from %s: %d", why, client, status)
        return _status(status)

    # ----- callbacks -----

    def _kept(self, payload: dict[str, Any]) -> bool:
        """Whether a retry of this callback can be answered from what is kept: a refresh poll always
        (it only reads its stream), a message while its reply is kept."""
        msgid = str(payload.get("msgid") or "")
        return payload.get("msgtype") == "stream" or (bool(msgid) and self._replies.get(msgid) is not None)

    async def _answer(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The passive reply; a repeated msgid gets the reply the first delivery got."""
        if payload.get("msgtype") == "stream":  # a refresh poll: not deduped
            return self._conversation.refresh(payload)
        msgid = str(payload.get("msgid") or "")
        if msgid:
            earlier = self._replies.get(msgid)
            if earlier is not None:
                log.info("wecom robot: retry of %s answered with the first reply", msgid)
                return await asyncio.shield(earlier)
            future: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
            self._replies.put(msgid, future)
        reply = None
        try:
            reply = await self._conversation.answer(payload, msgid)
        except Exception:  # an empty 200 rather than a 500 WeCom would retry
            log.exception("wecom robot: handling callback %s failed", msgid or payload.get("msgtype"))
        finally:
            if msgid:
                future.set_result(reply)
        return reply

    # ----- proactive -----

    def send(self, message: Outgoing) -> None:
        """Timer-driven and overflow messages: the group's 消息推送 webhook, queued."""
        self._conversation.send(message)

    async def deliver(self, message: Outgoing) -> None:
        """Callback mode cannot push: the group's webhook queue takes it (see `send`)."""
        self._conversation.send(message)
