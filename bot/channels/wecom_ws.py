"""WeCom smart robot (智能机器人), long-connection mode: a websocket client in the service's loop.

The robot's only way to push on its own (a contest's reveal and next question when a timer
fires) is `aibot_send_msg` over this connection; HTTP-callback mode cannot push. One
connection per robot: a newer one kicks the older with `disconnected_event`.

Frames are `{"cmd","headers":{"req_id"},"body"}`; the server acks ours with
`{"headers":{"req_id"},"errcode","errmsg"}`.

This module is the connection: `aibot_subscribe` once per connection, `ping` every 30 s,
reconnecting with backoff, frames read and written, acks matched, `disconnected_event` (stop
for good). What the callbacks mean and what the bot answers is wecom_ws_frames.py; the
per-conversation queue of `aibot_send_msg` that keeps WeCom's limits is wecom_ws_queue.py.

Malformed frames are logged once each and skipped; nothing a frame holds stops the loop."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import threading
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed

from bot.app import App
from bot.channels.backoff import backoff_delay
from bot.channels.wecom_ws_frames import (
    EVENT_CALLBACK,
    MSG_CALLBACK,
    PING,
    SEND,
    SUBSCRIBE,
    Malformed,
    RobotFrames,
    event_type,
    new_req_id,
)
from bot.channels.wecom_ws_queue import DEFAULT_LIMITS, RateLimiter, SendQueue
from bot.messages import Outgoing
from bot.settings import WeComRobotSettings

__all__ = ["WeComRobotWS", "backoff_delay", "RateLimiter", "DEFAULT_LIMITS"]

log = logging.getLogger(__name__)


class WeComRobotWS:
    """The channel `wecom` over the smart robot's long connection. `send` only queues; the
    connection task and the sender task do the rest on the service's loop."""

    def __init__(self, *, app: App, settings: WeComRobotSettings, channel: str = "wecom",
                 ping_interval: float = 30.0, ack_timeout: float = 10.0, backoff_base: float = 1.0,
                 backoff_max: float = 60.0, stable_after: float = 60.0,
                 limits: tuple[tuple[int, float], ...] = DEFAULT_LIMITS, seed: int | None = None) -> None:
        if not settings.bot_id or settings.secret is None:
            raise ValueError("wecom.robot long connection needs bot_id and secret")
        self.name = channel
        self._app = app
        self._settings = settings
        self._ping_interval, self._ack_timeout = ping_interval, ack_timeout
        self._backoff_base, self._backoff_max, self._stable_after = backoff_base, backoff_max, stable_after
        self._rng = random.Random(seed)
        self._queue = SendQueue(limits, send_frame=self._send_frame, connection=lambda: self._ws)
        self._frames = RobotFrames(app=app, channel=channel, queue=self._queue, respond=self._respond)
        self._pending_acks: dict[str, str] = {}  # req_id -> cmd, for this connection
        self._ready = asyncio.Event()
        self._ws: Any = None  # the subscribed connection, or None
        self._subscribe_req: str | None = None
        self._ping_req: str | None = None
        self._subscribed_at: float | None = None
        self._auth_failed = False
        self._taken_over = False
        self._stopping = False
        self._runner: asyncio.Task | None = None
        self._sender: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    # ----- the Channel face -----

    def router(self) -> None:
        return None  # no HTTP routes: WeCom talks to us over the websocket we open

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._stopping = False
        self._ready = asyncio.Event()  # bound to this loop
        self._queue.start()
        self._runner = asyncio.create_task(self._run(), name=f"{self.name}-ws")
        self._sender = asyncio.create_task(self._queue.run(), name=f"{self.name}-ws-sender")

    async def stop(self) -> None:
        self._stopping = True
        tasks = [t for t in (self._runner, self._sender) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._runner = self._sender = None
        left = self._queue.left()
        if left:
            log.warning("wecom robot: stopped with %d message(s) not delivered", left)

    @property
    def connected(self) -> bool:
        return self._ws is not None

    @property
    def taken_over(self) -> bool:
        return self._taken_over

    def send(self, message: Outgoing) -> None:
        """Queue a message for its conversation; never blocks. Safe from another thread."""
        loop = self._loop
        if loop is not None and threading.get_ident() != self._loop_thread and not loop.is_closed():
            loop.call_soon_threadsafe(self._frames.enqueue, message)
        else:
            self._frames.enqueue(message)

    async def deliver(self, message: Outgoing, timeout: float = 60.0) -> None:
        """For the outbox: queue the message and wait for WeCom's ack of each frame (raises on an error
        answer). After `timeout` without one, frames not yet sent are taken back and this raises (the
        outbox tries again later); frames already sent stay with the queue, which sends them again
        after a reconnect, so the push counts as handed over."""
        futures = self._frames.enqueue(message, confirmed=True)
        try:
            await asyncio.wait_for(asyncio.gather(*futures), timeout)
        except TimeoutError:
            req_ids = [req for req, fut in self._queue.waiting(futures)]
            if not self._queue.withdraw(req_ids):
                raise TimeoutError(f"WeCom did not take the push within {timeout:.0f} s (not connected?)") from None

    # ----- frame I/O -----

    async def _send_frame(self, ws: Any, cmd: str, req_id: str, body: dict[str, Any] | None) -> None:
        frame: dict[str, Any] = {"cmd": cmd, "headers": {"req_id": req_id}}
        if body is not None:
            frame["body"] = body
        self._pending_acks[req_id] = cmd
        await ws.send(json.dumps(frame, ensure_ascii=False))

    async def _respond(self, ws: Any, cmd: str, req_id: str, body: dict[str, Any], chat_key: str) -> None:
        """A reply bound to a callback's req_id: sent at once on the connection it came on
        (counted against the conversation's limit, never delayed by it)."""
        try:
            await self._send_frame(ws, cmd, req_id, body)
        except ConnectionClosed:
            log.warning("wecom robot: connection closed before %s for %s could be sent", cmd, req_id)
            return
        self._queue.record(chat_key, asyncio.get_running_loop().time())

    # ----- the connection -----

    async def _run(self) -> None:
        attempt = 0
        loop = asyncio.get_running_loop()
        while not self._stopping:
            self._subscribed_at = None
            self._auth_failed = False
            try:
                async with websockets.connect(self._settings.ws_url, ping_interval=None, open_timeout=10,
                                              close_timeout=2, max_size=2 ** 22, logger=_wire_logger()) as ws:
                    await self._session(ws)
            except asyncio.CancelledError:
                raise
            except (OSError, TimeoutError, websockets.WebSocketException) as exc:
                log.warning("wecom robot: connection to %s lost or refused: %s", self._settings.ws_url,
                            exc.__class__.__name__ if not str(exc) else exc)
            except Exception:
                log.exception("wecom robot: connection failed")
            finally:
                self._ws = None
                self._ready.clear()
                self._pending_acks.clear()
                self._queue.requeue_inflight()
            if self._stopping or self._taken_over:
                return
            if self._subscribed_at is not None and loop.time() - self._subscribed_at >= self._stable_after:
                attempt = 0  # it was a stable connection: start again from a short wait
            if self._auth_failed:
                attempt = max(attempt, 30)  # wrong credentials do not fix themselves quickly
            delay = backoff_delay(attempt, base=self._backoff_base, cap=self._backoff_max, rng=self._rng)
            attempt += 1
            log.info("wecom robot: reconnecting in %.1f s", delay)
            await asyncio.sleep(delay)

    async def _session(self, ws: Any) -> None:
        secret = self._settings.secret.get_secret_value() if self._settings.secret else ""
        self._subscribe_req = new_req_id(SUBSCRIBE)
        self._ping_req = None
        await self._send_frame(ws, SUBSCRIBE, self._subscribe_req,
                               {"bot_id": self._settings.bot_id, "secret": secret})
        keepalive = asyncio.create_task(self._keepalive(ws))
        try:
            async for raw in ws:
                try:
                    await self._on_frame(ws, raw)
                except Malformed as exc:
                    log.warning("wecom robot: malformed frame ignored (%s): %.200s", exc, _preview(raw))
                except ConnectionClosed:
                    raise
                except Exception:
                    log.exception("wecom robot: frame could not be handled: %.200s", _preview(raw))
        finally:
            keepalive.cancel()
            await asyncio.gather(keepalive, return_exceptions=True)

    async def _keepalive(self, ws: Any) -> None:
        try:
            await asyncio.wait_for(self._ready.wait(), self._ack_timeout)
        except TimeoutError:
            log.warning("wecom robot: no answer to aibot_subscribe within %.0f s; reconnecting", self._ack_timeout)
            await ws.close()
            return
        while True:
            await asyncio.sleep(self._ping_interval)
            if self._ping_req is not None:
                log.warning("wecom robot: ping not answered within %.0f s; reconnecting", self._ping_interval)
                await ws.close()
                return
            self._ping_req = new_req_id(PING)
            try:
                await self._send_frame(ws, PING, self._ping_req, None)
            except ConnectionClosed:
                return

    # ----- frames in -----

    async def _on_frame(self, ws: Any, raw: str | bytes) -> None:
        try:
            frame = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise Malformed("not JSON") from None
        if not isinstance(frame, dict):
            raise Malformed("not a JSON object")
        headers = frame.get("headers")
        req_id = headers.get("req_id") if isinstance(headers, dict) else None
        cmd = frame.get("cmd")
        if cmd not in (MSG_CALLBACK, EVENT_CALLBACK) and isinstance(req_id, str) and req_id in self._pending_acks:
            await self._on_ack(ws, req_id, frame)
            return
        if not isinstance(req_id, str) or not req_id:
            raise Malformed("no headers.req_id")
        body = frame.get("body")
        if cmd in (MSG_CALLBACK, EVENT_CALLBACK) and not isinstance(body, dict):
            raise Malformed(f"{cmd} without a body")
        if cmd == MSG_CALLBACK:
            await self._frames.on_message(ws, req_id, body)
        elif cmd == EVENT_CALLBACK:
            await self._on_event(ws, req_id, body)
        elif not cmd and "errcode" in frame:
            log.debug("wecom robot: ack for an unknown or old request %s", req_id)
        else:
            raise Malformed(f"unknown cmd {str(cmd)[:40]!r}")

    async def _on_ack(self, ws: Any, req_id: str, frame: dict[str, Any]) -> None:
        cmd = self._pending_acks.pop(req_id)
        errcode = frame.get("errcode", 0)
        ok = errcode in (0, None)
        if cmd == SUBSCRIBE:
            if ok:
                log.info("wecom robot %s: subscribed on %s", self._settings.bot_id, self._settings.ws_url)
                self._subscribed_at = asyncio.get_running_loop().time()
                self._ws = ws
                self._ready.set()
                self._queue.wake()
            else:
                self._auth_failed = True
                log.error("wecom robot %s: aibot_subscribe refused (errcode %s: %s); check wecom.robot.bot_id "
                          "and secret", self._settings.bot_id, errcode, str(frame.get("errmsg", ""))[:100])
                await ws.close()
            return
        if cmd == PING:
            if req_id == self._ping_req:
                self._ping_req = None
            return
        if cmd == SEND:
            self._queue.acked(req_id, None if ok else f"errcode {errcode} {str(frame.get('errmsg', ''))[:80]}")
        if not ok:
            log.warning("wecom robot: %s %s failed: errcode %s: %s", cmd, req_id, errcode,
                        str(frame.get("errmsg", ""))[:200])

    async def _on_event(self, ws: Any, req_id: str, body: dict[str, Any]) -> None:
        eventtype = event_type(body)
        if eventtype == "disconnected_event":
            self._taken_over = True
            log.error("wecom robot %s: another connection took over this robot (disconnected_event); "
                      "this instance stops and will not reconnect", self._settings.bot_id)
            self._ws = None
            await ws.close()
        else:
            await self._frames.on_event(ws, req_id, body, eventtype)


def _wire_logger() -> logging.Logger:
    """websockets' own logger for our connection. Its DEBUG lines dump frames, and the subscribe
    frame holds the secret: unless someone sets this logger's level on purpose, it stays at INFO
    whatever the root level is."""
    wire = logging.getLogger(f"{__name__}.wire")
    if wire.level == logging.NOTSET:
        wire.setLevel(logging.INFO)
    return wire


def _preview(raw: str | bytes) -> str:
    if isinstance(raw, bytes):
        return f"<{len(raw)} bytes>"
    return raw.replace("\n", " ")
