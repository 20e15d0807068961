"""WeCom smart robot (智能机器人), long-connection mode: a websocket client in the service's loop.

The robot's only way to push on its own (a contest's reveal and next question when a timer
fires) is `aibot_send_msg` over this connection; HTTP-callback mode cannot push. One
connection per robot: a newer one kicks the older with `disconnected_event`.

Frames are `{"cmd","headers":{"req_id"},"body"}`; the server acks ours with
`{"headers":{"req_id"},"errcode","errmsg"}`.

- in  `aibot_msg_callback`: text / mixed from a group (`chattype` group, `chatid`) or a private
  chat (`single`) → `Incoming` → `app.handle` → the first reply as `aibot_respond_msg` (a finished
  stream, or a template card) on the callback's req_id, the others as `aibot_send_msg`.
- in  `aibot_event_callback`: `template_card_event` (a click: the answer it carries goes through
  the dispatcher like a typed letter, then `aibot_respond_update_msg` locks that member's card),
  `enter_chat` (`aibot_respond_welcome_msg`), `disconnected_event` (stop for good).
- out `aibot_subscribe` once per connection, `ping` every 30 s, `aibot_send_msg` from a queue per
  conversation that keeps WeCom's limits (30 a minute, 1,000 an hour) by waiting, never dropping.

Malformed frames are logged once each and skipped; nothing a frame holds stops the loop."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import re
import threading
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed

from bot.app import App
from bot.channels import wecom_cards as cards
from bot.messages import Chat, Incoming, Outgoing, Sender
from bot.settings import WeComRobotSettings

__all__ = ["WeComRobotWS", "backoff_delay", "RateLimiter", "DEFAULT_LIMITS"]

log = logging.getLogger(__name__)

SUBSCRIBE = "aibot_subscribe"
PING = "ping"
MSG_CALLBACK = "aibot_msg_callback"
EVENT_CALLBACK = "aibot_event_callback"
RESPOND = "aibot_respond_msg"
RESPOND_WELCOME = "aibot_respond_welcome_msg"
RESPOND_UPDATE = "aibot_respond_update_msg"
SEND = "aibot_send_msg"

DEFAULT_LIMITS = ((30, 60.0), (1000, 3600.0))  # messages per conversation per window (seconds)
MARKDOWN_LIMIT = 4000  # bytes of one pushed markdown message
STREAM_LIMIT = 20000  # bytes of one stream response (WeCom: 20,480)
_REMEMBERED = 2000  # responses, cards and clicks kept for retries and updates
_INFLIGHT_MAX = 1000
_MENTIONS = re.compile(r"^(?:\s*@\S+)+\s*")


class _Malformed(Exception):
    """A frame we cannot use; the reason goes to the log."""


def backoff_delay(attempt: int, *, base: float, cap: float, rng: random.Random) -> float:
    """Seconds before reconnect attempt `attempt` (0, 1, 2…): base doubling up to cap, with
    "equal jitter" (between half and all of it) so many bots never reconnect in step."""
    ceiling = min(cap, base * 2 ** min(attempt, 30))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


class RateLimiter:
    """Sliding windows per conversation: `wait(key, now)` is how long until one more message may go."""

    def __init__(self, limits: tuple[tuple[int, float], ...]) -> None:
        self._limits = limits
        self._sent: dict[str, deque[float]] = {}
        self._horizon = max((seconds for _, seconds in limits), default=0.0)

    def wait(self, key: str, now: float) -> float:
        sent = self._sent.get(key)
        if not sent:
            return 0.0
        while sent and now - sent[0] >= self._horizon:
            sent.popleft()
        longest = 0.0
        for count, seconds in self._limits:
            recent = [t for t in sent if now - t < seconds] if len(sent) >= count else []
            if len(recent) >= count:
                longest = max(longest, recent[-count] + seconds - now)
        return longest

    def record(self, key: str, now: float) -> None:
        self._sent.setdefault(key, deque()).append(now)

    def forget_idle(self, now: float) -> None:
        for key in [k for k, sent in self._sent.items() if not sent or now - sent[-1] >= self._horizon]:
            del self._sent[key]


@dataclass(frozen=True)
class _Callback:
    req_id: str
    msgid: str
    userid: str
    chat: Chat
    chat_key: str


def _bounded_put(store: OrderedDict, key: Any, value: Any, limit: int = _REMEMBERED) -> None:
    store[key] = value
    store.move_to_end(key)
    while len(store) > limit:
        store.popitem(last=False)


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
        self._limiter = RateLimiter(limits)
        self._queues: dict[str, deque[dict[str, Any]]] = {}  # conversation -> aibot_send_msg frames
        self._inflight: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()  # sent, not yet acked
        self._pending_acks: dict[str, str] = {}  # req_id -> cmd, for this connection
        self._responses: OrderedDict[str, tuple[str, dict[str, Any] | None]] = OrderedDict()  # msgid -> (req_id, body)
        self._cards: OrderedDict[str, dict[str, Any]] = OrderedDict()  # task_id -> card as sent
        self._latest_card: OrderedDict[str, str] = OrderedDict()  # conversation -> task group of its latest question
        self._answers: OrderedDict[tuple[str, str], str] = OrderedDict()  # (task_id, userid) -> answer
        self._seq = itertools.count(1)
        self._wake = asyncio.Event()
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

    # ----- the ServiceChannel face -----

    def router(self) -> None:
        return None  # no HTTP routes: WeCom talks to us over the websocket we open

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._stopping = False
        self._wake, self._ready = asyncio.Event(), asyncio.Event()  # bound to this loop
        self._wake.set()  # messages queued before the start go out once subscribed
        self._runner = asyncio.create_task(self._run(), name=f"{self.name}-ws")
        self._sender = asyncio.create_task(self._send_loop(), name=f"{self.name}-ws-sender")

    async def stop(self) -> None:
        self._stopping = True
        tasks = [t for t in (self._runner, self._sender) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._runner = self._sender = None
        left = sum(len(q) for q in self._queues.values()) + len(self._inflight)
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
            loop.call_soon_threadsafe(self._enqueue, message)
        else:
            self._enqueue(message)

    # ----- outgoing -----

    def _req_id(self, cmd: str) -> str:
        return f"{cmd}_{uuid.uuid4().hex[:16]}"

    @staticmethod
    def _chat_key(chat: Chat) -> str:
        return f"{'group' if chat.is_group else 'single'}:{chat.chat_id}"

    def _new_card(self, message: Outgoing, chat_key: str) -> dict[str, Any] | None:
        unique = f"{time.time_ns() // 1_000_000:x}{next(self._seq):x}"
        task_id = cards.make_task_id(message.key, unique)
        card = cards.question_card(message, task_id)
        if card is not None:
            _bounded_put(self._cards, task_id, card)
        return card

    def _note_question(self, message: Outgoing, chat_key: str) -> None:
        """Remember what the conversation was asked last (a keyed message: a contest question, with a
        card or without, like a 填空): a click on an older card must not answer it."""
        if message.key:
            _bounded_put(self._latest_card, chat_key, cards.task_group(cards.make_task_id(message.key, "0")))

    def _enqueue(self, message: Outgoing) -> None:
        chat = message.chat
        if not chat.chat_id:
            log.error("wecom robot: message without a chat id dropped: %.40s", message.text)
            return
        chat_key = self._chat_key(chat)
        self._note_question(message, chat_key)
        head = {"chatid": chat.chat_id, "chat_type": 2 if chat.is_group else 1}
        bodies: list[dict[str, Any]] = []
        card = self._new_card(message, chat_key) if message.choices else None
        if card is not None:
            bodies.append({**head, "msgtype": "template_card", "template_card": card})
        else:
            text = (cards.fallback_markdown(message, chat.is_group) if message.choices
                    else cards.message_markdown(message))
            bodies += [{**head, "msgtype": "markdown", "markdown": {"content": piece}}
                       for piece in cards.split_markdown(text, MARKDOWN_LIMIT) if piece.strip()]
        queue = self._queues.setdefault(chat_key, deque())
        for body in bodies:
            queue.append({"cmd": SEND, "headers": {"req_id": self._req_id(SEND)}, "body": body})
        self._wake.set()

    def _response_body(self, message: Outgoing, chat_key: str) -> dict[str, Any]:
        """The reply to a user's message: the card where it has choices, else a finished stream."""
        self._note_question(message, chat_key)
        if message.choices:
            card = self._new_card(message, chat_key)
            if card is not None:
                return {"msgtype": "template_card", "template_card": card}
            content = cards.fallback_markdown(message, message.chat.is_group)
        else:
            content = cards.message_markdown(message)
        content = cards.split_markdown(content, STREAM_LIMIT)[0]
        return {"msgtype": "stream", "stream": {"id": f"s{uuid.uuid4().hex[:16]}", "finish": True, "content": content}}

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
        self._limiter.record(chat_key, asyncio.get_running_loop().time())

    async def _send_loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                delay = await self._flush()
            except asyncio.CancelledError:
                raise
            except Exception:  # never let the sender die: messages stay queued
                log.exception("wecom robot: sending failed")
                delay = 1.0
            try:
                await asyncio.wait_for(self._wake.wait(), delay)
            except TimeoutError:
                pass

    async def _flush(self) -> float | None:
        """Send what each conversation's limit allows now; seconds until more may go (None: nothing waits)."""
        ws = self._ws
        if ws is None:
            return None  # woken when a connection is subscribed
        loop = asyncio.get_running_loop()
        next_in: float | None = None
        for chat_key in list(self._queues):
            queue = self._queues.get(chat_key)
            while queue:
                now = loop.time()
                wait = self._limiter.wait(chat_key, now)
                if wait > 0:
                    next_in = wait if next_in is None else min(next_in, wait)
                    break
                frame = queue[0]
                req_id = frame["headers"]["req_id"]
                try:
                    await self._send_frame(ws, SEND, req_id, frame["body"])
                except ConnectionClosed:
                    return None  # the frame stays queued for the next connection
                queue.popleft()
                self._limiter.record(chat_key, now)
                _bounded_put(self._inflight, req_id, (chat_key, frame), _INFLIGHT_MAX)
                if self._ws is not ws:
                    return None
            if queue is not None and not queue and self._queues.get(chat_key) is queue:
                del self._queues[chat_key]
        self._limiter.forget_idle(loop.time())
        return next_in

    def _requeue_inflight(self) -> None:
        """Pushes the old connection took but WeCom never acked go out again on the next one."""
        for req_id, (chat_key, frame) in reversed(list(self._inflight.items())):
            self._queues.setdefault(chat_key, deque()).appendleft(frame)
        if self._inflight:
            log.info("wecom robot: %d unacknowledged push(es) queued again", len(self._inflight))
        self._inflight.clear()

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
                self._requeue_inflight()
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
        self._subscribe_req = self._req_id(SUBSCRIBE)
        self._ping_req = None
        await self._send_frame(ws, SUBSCRIBE, self._subscribe_req,
                               {"bot_id": self._settings.bot_id, "secret": secret})
        keepalive = asyncio.create_task(self._keepalive(ws))
        try:
            async for raw in ws:
                try:
                    await self._on_frame(ws, raw)
                except _Malformed as exc:
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
            self._ping_req = self._req_id(PING)
            try:
                await self._send_frame(ws, PING, self._ping_req, None)
            except ConnectionClosed:
                return

    # ----- incoming frames -----

    async def _on_frame(self, ws: Any, raw: str | bytes) -> None:
        try:
            frame = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise _Malformed("not JSON") from None
        if not isinstance(frame, dict):
            raise _Malformed("not a JSON object")
        headers = frame.get("headers")
        req_id = headers.get("req_id") if isinstance(headers, dict) else None
        cmd = frame.get("cmd")
        if cmd not in (MSG_CALLBACK, EVENT_CALLBACK) and isinstance(req_id, str) and req_id in self._pending_acks:
            await self._on_ack(ws, req_id, frame)
            return
        if not isinstance(req_id, str) or not req_id:
            raise _Malformed("no headers.req_id")
        body = frame.get("body")
        if cmd in (MSG_CALLBACK, EVENT_CALLBACK) and not isinstance(body, dict):
            raise _Malformed(f"{cmd} without a body")
        if cmd == MSG_CALLBACK:
            await self._on_message(ws, req_id, body)
        elif cmd == EVENT_CALLBACK:
            await self._on_event(ws, req_id, body)
        elif not cmd and "errcode" in frame:
            log.debug("wecom robot: ack for an unknown or old request %s", req_id)
        else:
            raise _Malformed(f"unknown cmd {str(cmd)[:40]!r}")

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
                self._wake.set()
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
            self._inflight.pop(req_id, None)
        if not ok:
            log.warning("wecom robot: %s %s failed: errcode %s: %s", cmd, req_id, errcode,
                        str(frame.get("errmsg", ""))[:200])

    def _callback(self, req_id: str, body: dict[str, Any]) -> _Callback:
        sender = body.get("from")
        userid = sender.get("userid") if isinstance(sender, dict) else None
        if not isinstance(userid, str) or not userid:
            raise _Malformed("no from.userid")
        chattype = body.get("chattype") or "single"
        chatid = body.get("chatid")
        if chattype == "group":
            if not isinstance(chatid, str) or not chatid:
                raise _Malformed("group callback without chatid")
            chat = Chat(self.name, chatid, True, chatid)
        else:
            chat = Chat(self.name, userid, False, "")
        msgid = body.get("msgid")
        return _Callback(req_id, str(msgid) if msgid not in (None, "") else "", userid, chat, self._chat_key(chat))

    async def _on_message(self, ws: Any, req_id: str, body: dict[str, Any]) -> None:
        callback = self._callback(req_id, body)
        if not callback.msgid:
            raise _Malformed("message without msgid")
        text = self._message_text(body)
        if text is None:
            log.debug("wecom robot: %s message ignored", body.get("msgtype"))
            return
        remembered = self._responses.get(callback.msgid)
        if remembered is not None:
            first_req, response = remembered
            if first_req == req_id or response is None:
                log.info("wecom robot: repeated callback %s ignored", callback.msgid)
            else:  # WeCom asks again: maybe our reply was lost; the same reply again, not silence
                log.info("wecom robot: repeated callback %s answered again", callback.msgid)
                await self._respond(ws, RESPOND, req_id, response, callback.chat_key)
            return
        incoming = Incoming(chat=callback.chat, sender=Sender(callback.userid, callback.userid), text=text,
                            message_id=callback.msgid, received_at=self._app.clock.now(), mentioned=True,
                            reply_handle=req_id)
        replies = self._app.handle(incoming)
        if not replies:
            _bounded_put(self._responses, callback.msgid, (req_id, None))
            return
        response = self._response_body(replies[0], callback.chat_key)
        _bounded_put(self._responses, callback.msgid, (req_id, response))
        await self._respond(ws, RESPOND, req_id, response, callback.chat_key)
        for reply in replies[1:]:
            self._enqueue(reply)

    def _message_text(self, body: dict[str, Any]) -> str | None:
        msgtype = body.get("msgtype")
        if msgtype == "text":
            content = body.get("text", {}).get("content") if isinstance(body.get("text"), dict) else None
            if not isinstance(content, str):
                raise _Malformed("text message without text.content")
            return self._strip_mentions(content)
        if msgtype == "mixed":
            mixed = body.get("mixed")
            items = mixed.get("msg_item") if isinstance(mixed, dict) else None
            if not isinstance(items, list):
                raise _Malformed("mixed message without mixed.msg_item")
            parts = [item["text"]["content"] for item in items
                     if isinstance(item, dict) and item.get("msgtype") == "text" and isinstance(item.get("text"), dict)
                     and isinstance(item["text"].get("content"), str)]
            return self._strip_mentions(" ".join(parts)) if parts else None
        if not isinstance(msgtype, str):
            raise _Malformed("message without msgtype")
        return None  # image, voice, file, stream…: nothing the bot answers

    def _strip_mentions(self, content: str) -> str:
        """"@学习助手 开始竞赛" → "开始竞赛": WeCom keeps the @name in the content."""
        text = _MENTIONS.sub("", content, count=1)
        bot_name = f"@{self._app.settings.bot.name}"
        if bot_name in text:  # the robot @-ed at the end or in the middle
            text = text.replace(bot_name, " ")
        return text.strip()

    async def _on_event(self, ws: Any, req_id: str, body: dict[str, Any]) -> None:
        event = body.get("event")
        eventtype = event.get("eventtype") if isinstance(event, dict) else None
        if not isinstance(eventtype, str):
            raise _Malformed("event without event.eventtype")
        if eventtype == "disconnected_event":
            self._taken_over = True
            log.error("wecom robot %s: another connection took over this robot (disconnected_event); "
                      "this instance stops and will not reconnect", self._settings.bot_id)
            self._ws = None
            await ws.close()
        elif eventtype == "template_card_event":
            await self._on_click(ws, req_id, body, event)
        elif eventtype == "enter_chat":
            callback = self._callback(req_id, body)
            welcome = f"您好，我是{self._app.settings.bot.name}。发送「帮助」查看命令。"
            await self._respond(ws, RESPOND_WELCOME, req_id, {"msgtype": "text", "text": {"content": welcome}},
                                callback.chat_key)
        else:
            log.debug("wecom robot: event %s ignored", eventtype)

    async def _on_click(self, ws: Any, req_id: str, body: dict[str, Any], event: dict[str, Any]) -> None:
        callback = self._callback(req_id, body)
        click = cards.parse_card_event(event)
        if click is None:
            raise _Malformed("template_card_event without task_id")
        if not click.answer:
            log.debug("wecom robot: click without an answer on %s (%s)", click.task_id, click.event_key)
            return  # nothing ticked, or the locked button: the card stays as it is
        card = self._cards.get(click.task_id)
        card_type = click.card_type or (card or {}).get("card_type", "button_interaction")
        latest = self._latest_card.get(callback.chat_key)
        if latest is not None and latest != cards.task_group(click.task_id):
            # a card of a question that is over: its letter must not answer the open question
            update = cards.closed_card(card, task_id=click.task_id, card_type=card_type)
            await self._respond(ws, RESPOND_UPDATE, req_id, self._update_body(update, callback.userid),
                                callback.chat_key)
            return
        incoming = Incoming(chat=callback.chat, sender=Sender(callback.userid, callback.userid), text=click.answer,
                            message_id=f"click:{click.task_id}:{callback.userid}",
                            received_at=self._app.clock.now(), mentioned=True, button=click.answer,
                            reply_handle=req_id)
        replies = self._app.handle(incoming)
        answer_key = (click.task_id, callback.userid)
        answer = self._answers.get(answer_key) or click.answer  # a repeated click shows the first answer
        _bounded_put(self._answers, answer_key, answer)
        # One short reply (the acknowledgement, "already answered", "time is up") is for the member
        # who clicked: it goes on their card, not to the group, which keeps the group's 30 a minute
        # for the questions. Several replies (the reveal and the next question) are for everyone.
        note = replies[0].text if len(replies) == 1 and not replies[0].choices else None
        update = cards.answered_card(card, task_id=click.task_id, card_type=card_type, answer=answer, note=note)
        await self._respond(ws, RESPOND_UPDATE, req_id, self._update_body(update, callback.userid), callback.chat_key)
        if note is None:
            for reply in replies:
                self._enqueue(reply)

    @staticmethod
    def _update_body(card: dict[str, Any], userid: str) -> dict[str, Any]:
        return {"response_type": "update_template_card", "userids": [userid], "template_card": card}


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
