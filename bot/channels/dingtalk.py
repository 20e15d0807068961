"""DingTalk (钉钉) enterprise robot in Stream mode: the real `dingtalk_stream` client in the service's loop.

The SDK's `DingTalkStreamClient.start()` coroutine runs as a task next to the HTTP server. Its
open-connection call is a blocking `requests.post` made on the loop; everything else is async.
Our chatbot handler (topic /v1.0/im/bot/messages/get) only parses the frame and schedules the
work, so the SDK acks at once (a late ack makes DingTalk deliver the message again about a
minute later). The work: `Incoming` → `app.handle` on the loop thread → the replies posted to
the message's session webhook (a blocking HTTP call, in `asyncio.to_thread`) while it is fresh.

Proactive messages (`send`: timer-driven reveals, next questions, results) go to the latest
fresh session webhook of that conversation. When there is none (missing or expired), or the
session webhook answers errcode 300001, the message goes through the robot OpenAPI instead
(bot/channels/dingtalk_openapi.py: groupMessages/send to the group, oToMessages/batchSend to the
person; robotCode = client_id). Not yet here: interactive cards, the custom robot webhook,
backoff on reconnect."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
from collections import OrderedDict
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from dingtalk_stream import AckMessage, ChatbotHandler, ChatbotMessage, Credential, DingTalkStreamClient
from dingtalk_stream.frames import CallbackMessage

from bot.app import App
from bot.channels.dingtalk_openapi import DingTalkOpenAPI, msg_for
from bot.messages import Chat, Incoming, Outgoing, Sender

__all__ = ["DingTalkChannel", "CHATBOT_TOPIC", "incoming_from"]

log = logging.getLogger(__name__)

CHATBOT_TOPIC = ChatbotMessage.TOPIC  # /v1.0/im/bot/messages/get
OPEN_CONNECTION_PATH = "/v1.0/gateway/connections/open"
HTTP_TIMEOUT = 10.0
WEBHOOK_MARGIN_MS = 60_000  # a session webhook this close to its expiry counts as expired
SEEN_MAX = 10_000
WEBHOOK_EXPIRED_ERRCODE = 300001  # the session webhook is no longer valid

_MENTION = re.compile(r"^\s*(?:@\S+\s+)*")


def incoming_from(msg: ChatbotMessage, channel: str, received_at: datetime) -> Incoming | None:
    """The channel-neutral message, or None when the frame lacks what we need."""
    if not msg.message_id or not msg.conversation_id:
        return None
    user_id = msg.sender_staff_id or msg.sender_id
    if not user_id:
        return None
    if msg.conversation_type == "2":
        chat = Chat(channel, msg.conversation_id, True, name=msg.conversation_title or msg.conversation_id)
    else:
        chat = Chat(channel, user_id, False)
    raw = msg.text.content if msg.text is not None and msg.text.content else ""
    text = _MENTION.sub("", raw).strip()  # DingTalk leaves the robot's name out, but a stray "@name " may stay
    return Incoming(chat=chat, sender=Sender(user_id, msg.sender_nick or user_id), text=text,
                    message_id=str(msg.message_id), received_at=received_at,
                    mentioned=msg.conversation_type != "2" or bool(msg.is_in_at_list in (None, True)),
                    reply_handle=(msg.session_webhook, msg.session_webhook_expired_time))


class _Client(DingTalkStreamClient):
    """The SDK's client with its OpenAPI address per instance (the SDK reads a module-level
    constant at import) and a timeout on the open-connection call."""

    def __init__(self, credential: Credential, *, openapi_endpoint: str, logger: logging.Logger) -> None:
        super().__init__(credential, logger=logger)
        self._endpoint = openapi_endpoint.rstrip("/")

    def open_connection(self) -> dict | None:
        body = {
            "clientId": self.credential.client_id,
            "clientSecret": self.credential.client_secret,
            "subscriptions": [{"type": "CALLBACK", "topic": t} for t in self.callback_handler_map],
            "ua": "studybot",
            "localIp": self.get_host_ip(),
        }
        try:
            response = requests.post(self._endpoint + OPEN_CONNECTION_PATH, json=body, timeout=HTTP_TIMEOUT,
                                     headers={"Accept": "application/json"})
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as exc:
            self.logger.error("dingtalk: open connection at %s failed: %s", self._endpoint, exc)
            return None

    def get_host_ip(self) -> str:
        host = urlsplit(self._endpoint).hostname or ""
        if host in ("127.0.0.1", "localhost", "::1"):
            return "127.0.0.1"  # the SDK would UDP-"connect" to 8.8.8.8 to learn it
        return super().get_host_ip()


class _Handler(ChatbotHandler):
    def __init__(self, channel: DingTalkChannel) -> None:
        super().__init__()
        self._channel = channel

    async def process(self, callback: CallbackMessage) -> tuple[int, str]:
        self._channel._accept(callback)
        return AckMessage.STATUS_OK, "OK"


class DingTalkChannel:
    """The channel `dingtalk`: the Stream-mode robot. `send` only queues; a sender task posts."""

    def __init__(self, *, app: App, client_id: str, client_secret: str,
                 openapi_endpoint: str = "https://api.dingtalk.com", channel: str = "dingtalk") -> None:
        if not client_id or not client_secret:
            raise ValueError("dingtalk needs client_id and client_secret")
        self.name = channel
        self._app = app
        self._client = _Client(Credential(client_id, client_secret), openapi_endpoint=openapi_endpoint,
                               logger=logging.getLogger("dingtalk_stream.client"))
        self._client.register_callback_handler(CHATBOT_TOPIC, _Handler(self))
        self._openapi = DingTalkOpenAPI(app_key=client_id, app_secret=client_secret, endpoint=openapi_endpoint)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._webhooks: dict[str, tuple[str, int | None]] = {}  # chat_id -> (session webhook, expiry ms)
        self._queue: asyncio.Queue[tuple[str, Outgoing] | None] | None = None
        self._runner: asyncio.Task | None = None
        self._sender: asyncio.Task | None = None
        self._work: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    # ----- the ServiceChannel face -----

    def router(self) -> None:
        return None  # Stream mode: no HTTP callbacks

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._queue = asyncio.Queue()
        self._sender = asyncio.create_task(self._send_loop(), name=f"{self.name}-sender")
        self._runner = asyncio.create_task(self._client.start(), name=f"{self.name}-stream")

    async def stop(self) -> None:
        # The SDK's start() catches CancelledError once and sleeps: cancel until it is really done.
        for task in (self._runner, self._sender):
            if task is None:
                continue
            for _ in range(10):
                task.cancel()
                done, _pending = await asyncio.wait({task}, timeout=0.1)
                if done:
                    break
            else:
                log.warning("dingtalk: %s did not stop", task.get_name())
        for task in list(self._work):
            task.cancel()
        await asyncio.gather(*self._work, return_exceptions=True)
        ws = self._client.websocket
        if ws is not None:
            try:
                await ws.close()
            except Exception:  # already closed or broken: nothing to do
                pass
        self._runner = self._sender = None

    def send(self, message: Outgoing) -> None:
        """Queue a message for its conversation; never blocks. Safe from another thread."""
        loop = self._loop
        if loop is not None and threading.get_ident() != self._loop_thread and not loop.is_closed():
            loop.call_soon_threadsafe(self._enqueue, message, None)
        else:
            self._enqueue(message, None)

    # ----- frames in -----

    def _accept(self, callback: CallbackMessage) -> None:
        """On the loop, inside the SDK's handler: schedule the work; the ack goes out when we return."""
        task = asyncio.get_running_loop().create_task(self._on_message(callback))
        self._work.add(task)
        task.add_done_callback(self._work.discard)

    async def _on_message(self, callback: CallbackMessage) -> None:
        try:
            if not isinstance(callback.data, dict):
                log.warning("dingtalk: chatbot frame without data ignored")
                return
            msg = ChatbotMessage.from_dict(callback.data)
            incoming = incoming_from(msg, self.name, self._app.clock.now())
            if incoming is None:
                log.warning("dingtalk: chatbot frame missing msgId, conversationId or sender ignored")
                return
            if incoming.message_id in self._seen:
                log.info("dingtalk: redelivery of %s ignored", incoming.message_id)
                return
            self._seen[incoming.message_id] = None
            while len(self._seen) > SEEN_MAX:
                self._seen.popitem(last=False)
            if msg.session_webhook:
                self._webhooks[incoming.chat.chat_id] = (msg.session_webhook, msg.session_webhook_expired_time)
            replies = self._app.handle(incoming)
            for reply in replies:
                self._enqueue(reply, incoming.reply_handle)
        except Exception:
            log.exception("dingtalk: message could not be handled")

    # ----- frames out -----

    def _enqueue(self, message: Outgoing, handle: tuple[str, int | None] | None) -> None:
        webhook, expiry = handle if handle and handle[0] else self._webhooks.get(message.chat.chat_id, ("", None))
        if not webhook or (expiry is not None and expiry - WEBHOOK_MARGIN_MS <= time.time() * 1000):
            webhook = ""  # no fresh session webhook: the sender goes through the OpenAPI
        if self._queue is None:
            log.warning("dingtalk: not started; message dropped: %.40s", message.text)
            return
        self._queue.put_nowait((webhook, message))

    async def _send_loop(self) -> None:
        assert self._queue is not None
        while True:
            item = await self._queue.get()
            if item is None:
                return
            webhook, message = item
            try:
                if webhook:
                    errcode = await asyncio.to_thread(_post, webhook, _payload(message))
                    if errcode != WEBHOOK_EXPIRED_ERRCODE:
                        continue
                    self._forget_webhook(message.chat.chat_id, webhook)
                await asyncio.to_thread(self._send_openapi, message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one line per failure; the texts never carry a secret or token
                log.warning("dingtalk: %s to %s failed: %s", "reply" if webhook else "OpenAPI send",
                            message.chat.chat_id, exc)

    def _forget_webhook(self, chat_id: str, webhook: str) -> None:
        if self._webhooks.get(chat_id, ("", None))[0] == webhook:
            del self._webhooks[chat_id]

    def _send_openapi(self, message: Outgoing) -> None:
        """Blocking: the message through the robot OpenAPI, to the group or the person."""
        key, param = msg_for(_title(message), message.markdown or message.text, bool(message.markdown))
        if message.chat.is_group:
            self._openapi.send_group(message.chat.chat_id, key, param)
        else:
            self._openapi.send_private([message.chat.chat_id], key, param)


def _title(message: Outgoing) -> str:
    return message.text.splitlines()[0][:30] if message.text else "studybot"


def _payload(message: Outgoing) -> dict[str, Any]:
    at = {"atUserIds": list(message.mentions)} if message.mentions else {}
    if message.markdown:
        title = _title(message)
        body: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": title, "text": message.markdown}}
    else:
        body = {"msgtype": "text", "text": {"content": message.text}}
    if at:
        body["at"] = at
    return body


def _post(webhook: str, payload: dict[str, Any]) -> int:
    """Blocking: post to a session webhook; the errcode it answers (0 when none)."""
    response = requests.post(webhook, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                             headers={"Content-Type": "application/json"}, timeout=HTTP_TIMEOUT)
    response.raise_for_status()
    try:
        result = response.json()
    except ValueError:
        return 0
    errcode = result.get("errcode", 0) if isinstance(result, dict) else 0
    if errcode in (0, None):
        return 0
    if errcode != WEBHOOK_EXPIRED_ERRCODE:
        log.warning("dingtalk: session webhook answered errcode %s: %.100s", errcode, result.get("errmsg", ""))
    try:
        return int(errcode)
    except (TypeError, ValueError):
        return -1
