"""A fake WeCom smart-robot long-connection server on loopback (websockets.serve, random port).

It checks the `aibot_subscribe` frame (bot_id and secret), acks every frame it receives like
WeCom does (`{"headers":{"req_id"},"errcode":0,"errmsg":"ok"}`), records them all, lets a test
push callback frames (messages, card clicks, events, garbage) and can drop the connection or
take it over with `disconnected_event`. Like WeCom it can refuse a reply (`refuse_responds`,
errcode 600039), refuses a message whose task_id or stream id it has taken before, can leave pings
unanswered, and sends what real WeCom sends: raw control characters inside strings
(`push(raw_controls=True)`), events without `chattype`, click fields flat on the event
(`click(flat=True)`). Runs in the test's own event loop; a test waits for what it expects
(a frame, a connection) on the fake's change signal, never a fixed time."""

from __future__ import annotations

import itertools
import json
import re
import time
from collections.abc import Callable
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from fakes.changes import Changes

__all__ = ["FakeWeComServer", "Frame", "reply_to", "pushed", "content", "RESPOND_REFUSED", "ID_REUSED"]

Frame = dict[str, Any]
RESPOND_REFUSED = 600039  # a reply WeCom did not take (the SDKs then push it with aibot_send_msg)
ID_REUSED = 99001  # the fake's own errcode for a task_id or stream id used before (WeCom's is not in our notes)
_ESCAPED_CONTROL = re.compile(r"(?<!\\)\\(u00[01][0-9a-fA-F]|n|t|r)")


class FakeWeComServer:
    def __init__(self, *, bot_id: str = "B", secret: str = "S") -> None:
        self.bot_id, self.secret = bot_id, secret
        self.received: list[Frame] = []  # every frame from the client, in order (raw text under "raw" if not JSON)
        self.times: list[float] = []  # time.perf_counter() when each of `received` arrived (for benches)
        self.connections = 0  # connections opened by the client, subscribed or not
        self.subscriptions = 0  # aibot_subscribe frames accepted
        self.acked: list[str] = []  # the req_ids the server has answered, in order
        self.refused = 0
        self.ack_pings = True
        self.fail_next = 0  # connections to cut at once, before the subscribe (a flaky network)
        self.refuse_sends = 0  # aibot_send_msg frames to answer with an error (then ok again)
        self.ack_sends = True  # False: aibot_send_msg frames are recorded and never acked (a stalled WeCom)
        self.refuse_responds = 0  # aibot_respond_msg frames to refuse with RESPOND_REFUSED (then ok again)
        self.ids_used: set[str] = set()  # task ids and stream ids of the messages taken (a reuse is refused)
        self.id_refusals = 0
        self.port = 0
        self._conn: ServerConnection | None = None
        self._server: Any = None
        self._ids = itertools.count(1)
        self._changes = Changes()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FakeWeComServer:
        self._changes.bind()
        self._server = await serve(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()
        await self._server.wait_closed()

    # ----- the server side -----

    async def _handle(self, conn: ServerConnection) -> None:
        self.connections += 1
        self._changes.changed()
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
        if (first.get("cmd") != "aibot_subscribe" or body.get("bot_id") != self.bot_id
                or body.get("secret") != self.secret):
            self.refused += 1
            await conn.send(json.dumps({"headers": {"req_id": req_id}, "errcode": 853000,
                                        "errmsg": "invalid bot_id or secret"}))
            await conn.close()
            self._changes.changed()
            return
        if self._conn is not None:  # one connection per robot: the new one wins
            await self._conn.close()
        self._conn = conn
        self.subscriptions += 1
        await self._ack(conn, req_id, 0, "ok")
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
                if frame.get("cmd") == "aibot_send_msg" and not self.ack_sends:
                    continue
                if frame.get("cmd") == "aibot_send_msg" and self.refuse_sends:
                    self.refuse_sends -= 1
                    await self._ack(conn, ack_id, 45009, "api freq out of limit")
                    continue
                if frame.get("cmd") == "aibot_respond_msg" and self.refuse_responds:
                    self.refuse_responds -= 1
                    await self._ack(conn, ack_id, RESPOND_REFUSED, "reply refused")
                    continue
                if frame.get("cmd") in ("aibot_send_msg", "aibot_respond_msg"):
                    ids = _message_ids(frame.get("body") or {})
                    if ids & self.ids_used:
                        self.id_refusals += 1
                        await self._ack(conn, ack_id, ID_REUSED, "task_id or stream id used before")
                        continue
                    self.ids_used |= ids
                await self._ack(conn, ack_id, 0, "ok")
        except ConnectionClosed:
            pass
        finally:
            if self._conn is conn:
                self._conn = None
            self._changes.changed()

    async def _ack(self, conn: ServerConnection, req_id: Any, errcode: int, errmsg: str) -> None:
        await conn.send(json.dumps({"headers": {"req_id": req_id}, "errcode": errcode, "errmsg": errmsg}))
        self.acked.append(str(req_id))
        self._changes.changed()

    def _record(self, frame: Frame) -> None:
        self.received.append(frame)
        self.times.append(time.perf_counter())
        self._changes.changed()

    # ----- what a test does -----

    @property
    def connected(self) -> bool:
        return self._conn is not None

    async def wait_connected(self, count: int = 1, timeout: float = 5.0) -> None:
        """Until `count` subscriptions have succeeded in all and one is open."""
        await self._changes.until(lambda: self.subscriptions >= count and self._conn is not None, timeout,
                                  lambda: f"no subscribed connection #{count}")

    async def wait_until(self, ready: Callable[[], bool], timeout: float = 5.0, what: str = "the condition") -> None:
        """Until `ready()` holds, checked after each frame, connection and ack."""
        await self._changes.until(ready, timeout, lambda: f"{what} not reached")

    async def wait_acked(self, req_id: str, timeout: float = 5.0) -> None:
        """Until the server has answered the frame `req_id` (the client will read that answer next)."""
        await self.wait_until(lambda: req_id in self.acked, timeout, f"ack of {req_id}")

    async def push(self, cmd: str, body: Any, req_id: str | None = None, *, raw_controls: bool = False) -> str:
        """A callback frame; with `raw_controls`, control characters in its strings go raw, not escaped."""
        req_id = req_id or f"cb{next(self._ids)}"
        text = json.dumps({"cmd": cmd, "headers": {"req_id": req_id}, "body": body}, ensure_ascii=False)
        if raw_controls:
            text = _ESCAPED_CONTROL.sub(lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m[1]) or chr(int(m[1][1:], 16)),
                                        text)
        await self.push_raw(text)
        return req_id

    async def push_raw(self, text: str | bytes) -> None:
        if self._conn is None:
            raise RuntimeError("no client connected")
        await self._conn.send(text)

    async def say(self, user: str, content: str, *, chat: str | None = "g1", msgid: str | None = None,
                  req_id: str | None = None, chattype: bool = True, raw_controls: bool = False) -> str:
        """A text message from `user` in group `chat` (None: a private chat); returns its req_id.
        Without `chattype`, the body has none (only `chatid` tells a group)."""
        body: Frame = {"msgid": msgid or f"msg{next(self._ids)}", "aibotid": self.bot_id,
                       "chattype": "group" if chat else "single", "from": {"userid": user},
                       "msgtype": "text", "text": {"content": content}}
        if chat:
            body["chatid"] = chat
        if not chattype:
            del body["chattype"]
        return await self.push("aibot_msg_callback", body, req_id, raw_controls=raw_controls)

    async def click(self, user: str, card: Frame, *, key: str | None = None, options: list[str] | None = None,
                    chat: str | None = "g1", msgid: str | None = None, req_id: str | None = None,
                    chattype: bool = True, flat: bool = False) -> str:
        """`user` presses the button with `key` on `card`, or ticks `options` and submits a vote card.
        `flat`: the click's fields on the event itself (as the SDK's types show them); without
        `chattype`, the body has none."""
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
        if flat:
            body["event"] = {"eventtype": "template_card_event", **event}
        if chat:
            body["chatid"] = chat
        if not chattype:
            del body["chattype"]
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
            self._changes.changed()

    async def wait_for(self, match: Callable[[Frame], bool], *, after: int = 0, timeout: float = 5.0) -> Frame:
        """The first frame received at index `after` or later that `match`es."""
        def found() -> Frame | None:
            return next((frame for frame in self.received[after:] if match(frame)), None)

        frame = await self._changes.until(found, timeout, lambda: "no matching frame; received since: "
                                          + json.dumps(self.received[after:], ensure_ascii=False)[:3000])
        assert frame is not None
        return frame

    def frames(self, cmd: str, after: int = 0) -> list[Frame]:
        return [f for f in self.received[after:] if f.get("cmd") == cmd]


def _message_ids(body: Frame) -> set[str]:
    """The ids WeCom wants new in each message: a card's task_id, a stream's id."""
    card, stream = body.get("template_card"), body.get("stream")
    ids = {f"task:{card['task_id']}"} if isinstance(card, dict) and card.get("task_id") else set()
    return ids | ({f"stream:{stream['id']}"} if isinstance(stream, dict) and stream.get("id") else set())


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
