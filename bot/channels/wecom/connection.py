"""The WeCom smart robot's long connection: `aibot_subscribe` once per connection, `ping` every
30 s (two unanswered in a row: a new connection), reconnecting with backoff, frames read (leniently,
as WeCom's SDK: raw control characters dropped) and written, acks matched, `disconnected_event`
(stop for good). Frames are `{"cmd","headers":{"req_id"},"body"}`; the server acks ours with
`{"headers":{"req_id"},"errcode","errmsg"}`.

Callback frames go to `Callbacks` (frames.py: what they mean and what the bot answers); acks of
pushes to the send queue. Malformed frames are logged once each and skipped; nothing a frame holds
stops the loop. Every wait (backoff, pings, the subscribe answer) runs on the injected `sleep`."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any, Protocol

import websockets
from websockets.exceptions import ConnectionClosed

from bot.channels.common.aio import Sleep, cancel, within
from bot.channels.common.backoff import Backoff
from bot.channels.wecom.frames import (
    EVENT_CALLBACK,
    MSG_CALLBACK,
    PING,
    SEND,
    SUBSCRIBE,
    Malformed,
    event_type,
    new_req_id,
)
from bot.channels.wecom.send_queue import SendQueue
from bot.settings import WeComRobotSettings

__all__ = ["RobotConnection", "Callbacks", "parse_frame", "MISSED_PINGS"]

log = logging.getLogger(__name__)

MISSED_PINGS = 2  # ping intervals in a row without an answer before reconnecting (as WeCom's SDKs)

# Raw control characters WeCom's own Node SDK strips before parsing a frame (all of \x00-\x1F but tab
# and newline): real frames carry them inside strings, which a strict JSON parser refuses.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f]")


class Callbacks(Protocol):
    """What the connection hands the callbacks it receives to."""

    async def on_message(self, ws: Any, req_id: str, body: dict[str, Any]) -> None: ...

    async def on_event(self, ws: Any, req_id: str, body: dict[str, Any], eventtype: str) -> None: ...


class RobotConnection:
    """`run(callbacks)` connects and reconnects until cancelled or taken over; `send_frame` writes
    one frame and expects its ack; `ws` is the subscribed connection (None while there is none)."""

    def __init__(self, *, settings: WeComRobotSettings, queue: SendQueue, backoff: Backoff, sleep: Sleep,
                 ping_interval: float, ack_timeout: float) -> None:
        self._settings, self._queue, self._backoff, self._sleep = settings, queue, backoff, sleep
        self._ping_interval, self._ack_timeout = ping_interval, ack_timeout
        self._pending_acks: dict[str, str] = {}  # req_id -> cmd, for this connection
        self._ready = asyncio.Event()
        self.ws: Any = None
        self._subscribe_req: str | None = None
        self._pings: set[str] = set()  # pings sent and not answered, on this connection
        self._missed = 0  # ping intervals in a row that ended without an answer
        self._auth_failed = False
        self.taken_over = False
        self._callbacks: Callbacks | None = None

    async def send_frame(self, ws: Any, cmd: str, req_id: str, body: dict[str, Any] | None) -> None:
        frame: dict[str, Any] = {"cmd": cmd, "headers": {"req_id": req_id}}
        if body is not None:
            frame["body"] = body
        self._pending_acks[req_id] = cmd
        await ws.send(json.dumps(frame, ensure_ascii=False))

    async def run(self, callbacks: Callbacks) -> None:
        self._callbacks = callbacks
        self._ready = asyncio.Event()  # bound to this loop
        while True:
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
                self.ws = None
                self._ready.clear()
                self._pending_acks.clear()
                self._queue.requeue_inflight()
            if self.taken_over:
                return
            delay = self._backoff.next_delay(refused=self._auth_failed)
            log.info("wecom robot: reconnecting in %.1f s", delay)
            await self._sleep(delay)

    async def _session(self, ws: Any) -> None:
        secret = self._settings.secret.get_secret_value() if self._settings.secret else ""
        self._subscribe_req = new_req_id(SUBSCRIBE)
        self._pings, self._missed = set(), 0
        await self.send_frame(ws, SUBSCRIBE, self._subscribe_req, {"bot_id": self._settings.bot_id, "secret": secret})
        keepalive = asyncio.create_task(self._keepalive(ws), name="wecom-ws-keepalive")
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
            await cancel(keepalive)

    async def _keepalive(self, ws: Any) -> None:
        if not await within(self._ready.wait(), self._ack_timeout, self._sleep):
            log.warning("wecom robot: no answer to aibot_subscribe within %.0f s; reconnecting", self._ack_timeout)
            await ws.close()
            return
        while True:
            await self._sleep(self._ping_interval)
            if self._pings:  # the last ping is still unanswered: WeCom's SDKs give up after two
                self._missed += 1
                if self._missed >= MISSED_PINGS:
                    log.warning("wecom robot: %d pings in a row not answered within %.0f s each; reconnecting",
                                self._missed, self._ping_interval)
                    await ws.close()
                    return
                log.info("wecom robot: ping not answered within %.0f s; pinging again", self._ping_interval)
            ping = new_req_id(PING)
            self._pings.add(ping)
            try:
                await self.send_frame(ws, PING, ping, None)
            except ConnectionClosed:
                return

    # ----- frames in -----

    async def _on_frame(self, ws: Any, raw: str | bytes) -> None:
        frame = parse_frame(raw)
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
            await self._handler().on_message(ws, req_id, body)
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
                self._backoff.up()
                self.ws = ws
                self._ready.set()
                self._queue.wake()
            else:
                self._auth_failed = True
                log.error("wecom robot %s: aibot_subscribe refused (errcode %s: %s); check wecom.robot.bot_id "
                          "and secret", self._settings.bot_id, errcode, str(frame.get("errmsg", ""))[:100])
                await ws.close()
            return
        if cmd == PING:
            if req_id in self._pings:  # any answer shows the connection alive
                self._pings.clear()
                self._missed = 0
            return
        if cmd == SEND:
            self._queue.acked(req_id, None if ok else f"errcode {errcode} {str(frame.get('errmsg', ''))[:80]}")
        if not ok:
            log.warning("wecom robot: %s %s failed: errcode %s: %s", cmd, req_id, errcode,
                        str(frame.get("errmsg", ""))[:200])

    async def _on_event(self, ws: Any, req_id: str, body: dict[str, Any]) -> None:
        eventtype = event_type(body)
        if eventtype == "disconnected_event":
            self.taken_over = True
            log.error("wecom robot %s: another connection took over this robot (disconnected_event); "
                      "this instance stops and will not reconnect", self._settings.bot_id)
            self.ws = None
            await ws.close()
        else:
            await self._handler().on_event(ws, req_id, body, eventtype)


    def _handler(self) -> Callbacks:
        assert self._callbacks is not None  # set by run(), which reads the frames
        return self._callbacks


def parse_frame(raw: str | bytes) -> Any:
    """A frame's JSON, read as WeCom's SDK reads it: raw control characters (but tab and newline)
    dropped first, tab and newline taken inside strings; a member's message is never lost to them."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise Malformed("not JSON (not UTF-8)") from None
    cleaned = _CONTROL.sub("", text)
    if len(cleaned) != len(text):
        log.debug("wecom robot: %d control character(s) dropped from a frame", len(text) - len(cleaned))
    try:
        return json.loads(cleaned, strict=False)
    except ValueError:
        raise Malformed("not JSON") from None


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
