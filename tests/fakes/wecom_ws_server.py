"""A fake WeCom smart-robot long-connection server on loopback (websockets.serve, random port).

It checks the `aibot_subscribe` frame (bot_id and secret), acks every frame it receives like
WeCom does (`{"headers":{"req_id"},"errcode":0,"errmsg":"ok"}`), records them all, lets a test
push callback frames (messages, card clicks, events, garbage) and can drop the connection or
take it over with `disconnected_event`. Runs in the test's own event loop."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

__all__ = ["FakeWeComServer", "Frame", "reply_to", "pushed", "content"]

Frame = dict[str, Any]


class FakeWeComServer:
    def __init__(self, *, bot_id: str = "B", secret: str = "S") -> None:
        self.bot_id, self.secret = bot_id, secret
        self.received: list[Frame] = []  # every frame from the client, in order (raw text under "raw" if not JSON)
        self.times: list[float] = []  # time.perf_counter() when each of `received` arrived
        self.connect_times: list[float] = []  # time.monotonic() of each connection
        self.subscribed_times: list[float] = []
        self.refused = 0
        self.ack_pings = True
        self.fail_next = 0  # connections to cut at once, before the subscribe (a flaky network)
        self.refuse_sends = 0  # aibot_send_msg frames to answer with an error (then ok again)
        self.port = 0
        self._conn: ServerConnection | None = None
        self._server: Any = None
        self._ids = itertools.count(1)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FakeWeComServer:
        self._server = await serve(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    # ----- the server side -----

    async def _handle(self, conn: ServerConnection) -> None:
        self.connect_times.append(time.monotonic())
        if self.fail_next > 0:
            self.fail_next -= 1
            conn.transport.abort()
            return
        try:
            first = json.loads(await conn.recv())
        except (ConnectionClosed, ValueError):
            return
        self._record(first)
        req_id = (first.get("headers") or {}).get("req_id")
        body = first.get("body") or {}
        if first.get("cmd") != "aibot_subscribe" or body.get("bot_id") != self.bot_id or body.get("secret") != self.secret:
            self.refused += 1
            await conn.send(json.dumps({"headers": {"req_id": req_id}, "errcode": 853000, "errmsg": "invalid bot_id or secret"}))
            await conn.close()
            return
        if self._conn is not None:  # one connection per robot: the new one wins
            await self._conn.close()
        self._conn = conn
        self.subscribed_times.append(time.monotonic())
        await conn.send(json.dumps({"headers": {"req_id": req_id}, "errcode": 0, "errmsg": "ok"}))
        try:
            async for raw in conn:
                try:
                    frame = json.loads(raw)
                except ValueError:
                    self._record({"raw": raw})
                    continue
                self._record(frame)
                if frame.get("cmd") == "ping" and not self.ack_pings:
                    continue
                ack_id = (frame.get("headers") or {}).get("req_id")
                if frame.get("cmd") == "aibot_send_msg" and self.refuse_sends:
                    self.refuse_sends -= 1
                    await conn.send(json.dumps({"headers": {"req_id": ack_id}, "errcode": 45009,
                                                "errmsg": "api freq out of limit"}))
                    continue
                await conn.send(json.dumps({"headers": {"req_id": ack_id}, "errcode": 0, "errmsg": "ok"}))
        except ConnectionClosed:
            pass
        finally:
            if self._conn is conn:
                self._conn = None

    def _record(self, frame: Frame) -> None:
        self.received.append(frame)
        self.times.append(time.perf_counter())

    # ----- what a test does -----

    @property
    def connected(self) -> bool:
        return self._conn is not None

    async def wait_connected(self, count: int = 1, timeout: float = 5.0) -> None:
        """Until `count` subscriptions have succeeded in all and one is open."""
        deadline = time.monotonic() + timeout
        while not (len(self.subscribed_times) >= count and self._conn is not None):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no subscribed connection #{count}")
            await asyncio.sleep(0.01)

    async def push(self, cmd: str, body: Any, req_id: str | None = None) -> str:
        req_id = req_id or f"cb{next(self._ids)}"
        await self.push_raw(json.dumps({"cmd": cmd, "headers": {"req_id": req_id}, "body": body}, ensure_ascii=False))
        return req_id

    async def push_raw(self, text: str | bytes) -> None:
        if self._conn is None:
            raise RuntimeError("no client connected")
        await self._conn.send(text)

    async def say(self, user: str, content: str, *, chat: str | None = "g1", msgid: str | None = None,
                  req_id: str | None = None) -> str:
        """A text message from `user` in group `chat` (None: a private chat); returns its req_id."""
        body: Frame = {"msgid": msgid or f"msg{next(self._ids)}", "aibotid": self.bot_id,
                       "chattype": "group" if chat else "single", "from": {"userid": user},
                       "msgtype": "text", "text": {"content": content}}
        if chat:
            body["chatid"] = chat
        return await self.push("aibot_msg_callback", body, req_id)

    async def click(self, user: str, card: Frame, *, key: str | None = None, options: list[str] | None = None,
                    chat: str | None = "g1", msgid: str | None = None, req_id: str | None = None) -> str:
        """`user` presses the button with `key` on `card`, or ticks `options` and submits a vote card."""
        event: Frame = {"card_type": card["card_type"], "task_id": card["task_id"]}
        if options is not None:
            event["event_key"] = card["submit_button"]["key"]
            event["selected_items"] = {"selected_item": [
                {"question_key": card["checkbox"]["question_key"], "option_ids": {"option_id": options}}]}
        else:
            event["event_key"] = key
        body: Frame = {"msgid": msgid or f"ev{next(self._ids)}", "aibotid": self.bot_id,
                       "chattype": "group" if chat else "single", "from": {"userid": user}, "msgtype": "event",
                       "event": {"eventtype": "template_card_event", "template_card_event": event}}
        if chat:
            body["chatid"] = chat
        return await self.push("aibot_event_callback", body, req_id)

    async def event(self, eventtype: str, user: str = "u1", **extra: Any) -> str:
        body = {"msgid": f"ev{next(self._ids)}", "aibotid": self.bot_id, "from": {"userid": user},
                "msgtype": "event", "event": {"eventtype": eventtype}, **extra}
        return await self.push("aibot_event_callback", body)

    async def drop(self) -> None:
        """Cut the TCP connection without a closing handshake, as a network failure does."""
        if self._conn is not None:
            self._conn.transport.abort()
            self._conn = None

    async def wait_for(self, match: Callable[[Frame], bool], *, after: int = 0, timeout: float = 5.0) -> Frame:
        """The first frame received at index `after` or later that `match`es."""
        deadline = time.monotonic() + timeout
        index = after
        while True:
            while index < len(self.received):
                frame = self.received[index]
                index += 1
                if match(frame):
                    return frame
            if time.monotonic() > deadline:
                raise TimeoutError("no matching frame; received since: "
                                   + json.dumps(self.received[after:], ensure_ascii=False)[:3000])
            await asyncio.sleep(0.01)

    def frames(self, cmd: str, after: int = 0) -> list[Frame]:
        return [f for f in self.received[after:] if f.get("cmd") == cmd]


def reply_to(req_id: str, cmd: str = "aibot_respond_msg") -> Callable[[Frame], bool]:
    return lambda f: f.get("cmd") == cmd and f.get("headers", {}).get("req_id") == req_id


def pushed(msgtype: str | None = None) -> Callable[[Frame], bool]:
    return lambda f: f.get("cmd") == "aibot_send_msg" and (msgtype is None or f["body"]["msgtype"] == msgtype)


def content(frame: Frame) -> str:
    """The text of a response or push: stream, markdown or text."""
    body = frame.get("body") or {}
    for kind in ("stream", "markdown", "text"):
        if kind in body:
            return body[kind]["content"]
    raise KeyError(f"no text in {body.get('msgtype')}")
