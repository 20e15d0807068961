"""DingTalk (钉钉) enterprise robot in Stream mode: the channel `dingtalk`.

The SDK's client (with our connection loop, bot/channels/dingtalk_client.py) runs as a task next to
the HTTP server. Two topics:
- chatbot (/v1.0/im/bot/messages/get): group messages that @ the robot and private messages;
- card callback (/v1.0/card/instances/callback): a tap on a question card's button.
Our handlers only schedule the work and return, so the SDK acks at once (a late ack makes
DingTalk deliver the message again about a minute later); a redelivered msgId is acked and
ignored. The work: `Incoming` → `app.handle` on the loop thread → the replies queued.

One sender task sends the queue in order:
- a question with single-choice options, when `dingtalk.card_template_id` is set: an interactive
  card (OpenAPI createAndDeliver); a tap answers like a typed letter and that member's card shows
  their answer; the reveal closes every card of the question with the correct answer. Without a
  template, or when the card cannot be sent, the question goes as text (in a group: "@ me first");
- text and markdown, cut into pieces of ≤ 5,000 bytes: to the conversation's session webhook
  while it is fresh (it lives about 90 minutes), else to the group's custom robot webhook when
  `dingtalk.webhooks` has one (HMAC-signed, 20 a minute, queued), else through the robot OpenAPI
  (groupMessages/send, oToMessages/batchSend). A session webhook answering 300001 (expired) is
  forgotten and the message goes the next way.
Blocking HTTP calls run in threads, so the loop never stalls."""

from __future__ import annotations

import asyncio
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from dingtalk_stream import AckMessage, CallbackHandler, ChatbotMessage, Credential
from dingtalk_stream.frames import CallbackMessage

from bot.app import App
from bot.channels import dingtalk_cards as cards
from bot.channels.dingtalk_client import StreamClient
from bot.channels.dingtalk_openapi import DingTalkOpenAPI, msg_for
from bot.channels.dingtalk_replies import WEBHOOK_EXPIRED_ERRCODE, pieces, post_session, session_body, title_of
from bot.channels.dingtalk_webhook import DingTalkWebhook
from bot.channels.reply_cache import TTLCache
from bot.messages import Chat, Incoming, Outgoing, Sender

__all__ = ["DingTalkChannel", "CHATBOT_TOPIC", "CARD_TOPIC", "incoming_from"]

log = logging.getLogger(__name__)

CHATBOT_TOPIC = ChatbotMessage.TOPIC  # /v1.0/im/bot/messages/get
CARD_TOPIC = CallbackHandler.TOPIC_CARD_CALLBACK  # /v1.0/card/instances/callback
WEBHOOK_MARGIN_MS = 60_000  # a session webhook this close to its expiry counts as expired
SEEN_MAX = 10_000
REMEMBERED = 2000  # cards, answers and closed questions kept for taps and updates

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


@dataclass(frozen=True)
class WebhookRobot:
    """A group's custom robot (自定义机器人): its access token and, with 加签, its secret."""
    access_token: str
    secret: str | None = None


@dataclass(frozen=True)
class _Card:
    chat: Chat
    question: str  # the question's key


class _Handler(CallbackHandler):
    """Schedules the work and returns at once: the SDK sends the ack when `process` returns."""

    def __init__(self, accept) -> None:
        super().__init__()
        self._accept = accept

    async def process(self, callback: CallbackMessage) -> tuple[int, str]:
        self._accept(callback)
        return AckMessage.STATUS_OK, "OK"


class DingTalkChannel:
    """The channel `dingtalk`. `send` only queues; the sender task sends."""

    def __init__(self, *, app: App, client_id: str, client_secret: str,
                 openapi_endpoint: str = "https://api.dingtalk.com", card_template_id: str = "",
                 webhooks: dict[str, WebhookRobot] | None = None, webhook_base_url: str = "https://oapi.dingtalk.com",
                 channel: str = "dingtalk", backoff_base: float = 1.0, backoff_max: float = 60.0,
                 seed: int | None = None) -> None:
        if not client_id or not client_secret:
            raise ValueError("dingtalk needs client_id and client_secret")
        self.name = channel
        self._app = app
        self.client = StreamClient(Credential(client_id, client_secret), openapi_endpoint=openapi_endpoint,
                                   backoff_base=backoff_base, backoff_max=backoff_max, seed=seed)
        self.client.register_callback_handler(CHATBOT_TOPIC, _Handler(self._accept_message))
        self.client.register_callback_handler(CARD_TOPIC, _Handler(self._accept_tap))
        self._openapi = DingTalkOpenAPI(app_key=client_id, app_secret=client_secret, endpoint=openapi_endpoint)
        self._template = card_template_id
        self._robots = dict(webhooks or {})
        self._webhook = DingTalkWebhook(base_url=webhook_base_url) if self._robots else None
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._webhooks: dict[str, tuple[str, int | None]] = {}  # chat_id -> (session webhook, expiry ms)
        self._cards: TTLCache[_Card] = TTLCache(math.inf, REMEMBERED)  # outTrackId -> card
        self._question_cards: TTLCache[list[str]] = TTLCache(math.inf, REMEMBERED)  # question key -> outTrackIds
        self._latest: dict[str, str] = {}  # chat_id -> key of its latest question
        self._closed: TTLCache[bool] = TTLCache(math.inf, REMEMBERED)  # question keys revealed
        self._answers: TTLCache[str] = TTLCache(math.inf, REMEMBERED)  # (outTrackId, user) -> first answer
        # created here, so messages sent before start() (contests resumed at start) wait rather than vanish
        self._queue: asyncio.Queue[tuple[str, Outgoing]] | None = asyncio.Queue()
        self._inbox: asyncio.Queue | None = None  # frames' work, in order
        self._worker: asyncio.Task | None = None
        self._runner: asyncio.Task | None = None
        self._sender: asyncio.Task | None = None
        self._work: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    # ----- the Channel face -----

    def router(self) -> None:
        return None  # Stream mode: no HTTP callbacks

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._inbox = asyncio.Queue()
        self._worker = asyncio.create_task(self._work_loop(), name=f"{self.name}-work")
        if self._webhook is not None:
            await self._webhook.start()
        self._sender = asyncio.create_task(self._send_loop(), name=f"{self.name}-sender")
        self._runner = asyncio.create_task(self.client.start(), name=f"{self.name}-stream")

    async def stop(self) -> None:
        for task in (self._runner, self._worker, self._sender):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        for task in list(self._work):
            task.cancel()
        await asyncio.gather(*self._work, return_exceptions=True)
        ws = self.client.websocket
        if ws is not None:
            try:
                await ws.close()
            except Exception:  # already closed or broken: nothing to do
                pass
        if self._webhook is not None:
            await self._webhook.stop()
        self._runner = self._worker = self._sender = None

    def send(self, message: Outgoing) -> None:
        """Queue a message for its conversation; never blocks. Safe from another thread."""
        loop = self._loop
        if loop is not None and threading.get_ident() != self._loop_thread and not loop.is_closed():
            loop.call_soon_threadsafe(self._enqueue, message, None)
        else:
            self._enqueue(message, None)

    async def deliver(self, message: Outgoing) -> None:
        """Send now and return once DingTalk took it (raises when it did not): the outbox marks a push
        sent only then (through a group's custom robot too: its queue keeps the 20-a-minute limit)."""
        webhook, expiry = self._webhooks.get(message.chat.chat_id, ("", None))
        if not webhook or (expiry is not None and expiry - WEBHOOK_MARGIN_MS <= time.time() * 1000):
            webhook = ""
        await self._send(webhook, message, confirmed=True)

    async def drain(self) -> None:
        """Wait until everything received and queued so far is handled and sent (tests and benches)."""
        if self._inbox is not None:
            await self._inbox.join()
        if self._queue is not None:
            await self._queue.join()
        if self._webhook is not None:
            await self._webhook.drain()

    # ----- frames in -----

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._work.add(task)
        task.add_done_callback(self._work.discard)

    def _accept_message(self, callback: CallbackMessage) -> None:
        assert self._inbox is not None
        self._inbox.put_nowait(lambda: self._on_message(callback))

    def _accept_tap(self, callback: CallbackMessage) -> None:
        assert self._inbox is not None
        self._inbox.put_nowait(lambda: self._on_tap(callback))

    async def _work_loop(self) -> None:
        """Handle the frames one at a time, in the order they came, yielding between them: the
        connection reads and acks the next frames meanwhile instead of waiting behind a burst."""
        assert self._inbox is not None
        while True:
            job = await self._inbox.get()
            job()
            self._inbox.task_done()
            await asyncio.sleep(0)

    def _first_time(self, message_id: str) -> bool:
        if message_id in self._seen:
            log.info("dingtalk: redelivery of %s ignored", message_id)
            return False
        self._seen[message_id] = None
        while len(self._seen) > SEEN_MAX:
            self._seen.popitem(last=False)
        return True

    def _on_message(self, callback: CallbackMessage) -> None:
        try:
            msg = ChatbotMessage.from_dict(callback.data)
            incoming = incoming_from(msg, self.name, self._app.clock.now())
            if incoming is None:
                log.warning("dingtalk: chatbot frame missing msgId, conversationId or sender ignored")
                return
            if not self._first_time(incoming.message_id):
                return
            if msg.session_webhook:
                self._webhooks[incoming.chat.chat_id] = (msg.session_webhook, msg.session_webhook_expired_time)
            for reply in self._app.handle(incoming):
                self._enqueue(reply, incoming.reply_handle)
        except Exception:
            log.exception("dingtalk: message could not be handled")

    def _on_tap(self, callback: CallbackMessage) -> None:
        try:
            tap = cards.parse_tap(callback.data)
            if tap is None:
                log.warning("dingtalk: card callback without outTrackId or userId ignored")
                return
            if not tap.choice:
                return  # a button that is not an option: nothing to answer
            card = self._cards.get(tap.out_track_id)
            chat = card.chat if card else (Chat(self.name, tap.space_id, True, name=tap.space_id)
                                           if tap.space_id else None)
            if chat is None:
                log.warning("dingtalk: tap on unknown card %s ignored", tap.out_track_id)
                return
            question = cards.question_of(tap.out_track_id)
            latest = self._latest.get(chat.chat_id)
            if self._closed.get(question) or (latest is not None and latest != question):
                # a card of a question that is over: its letter must not answer the open question
                self._spawn(self._update(cards.update_body(tap.out_track_id,
                                                           private={tap.user_id: cards.stale_data()})))
                return
            incoming = Incoming(chat=chat, sender=Sender(tap.user_id, tap.user_id), text=tap.choice,
                                message_id=f"card:{tap.out_track_id}:{tap.user_id}",
                                received_at=self._app.clock.now(), mentioned=True, button=tap.choice)
            replies = self._app.handle(incoming)
            answer = self._answers.get((tap.out_track_id, tap.user_id)) or tap.choice  # the first tap counts
            self._answers.put((tap.out_track_id, tap.user_id), answer)
            # One short reply (the acknowledgement, "already answered", "time is up") is for the
            # member who tapped: it goes on their card, not to the group. Several replies (the
            # reveal and the next question) are for everyone.
            note = replies[0].text if len(replies) == 1 and not replies[0].choices else None
            self._spawn(self._update(cards.update_body(tap.out_track_id,
                                                       private={tap.user_id: cards.answered_data(answer, note)})))
            if note is None:
                for reply in replies:
                    self._enqueue(reply, None)
        except Exception:
            log.exception("dingtalk: card tap could not be handled")

    # ----- frames out -----

    def _enqueue(self, message: Outgoing, handle: tuple[str, int | None] | None) -> None:
        webhook, expiry = handle if handle and handle[0] else self._webhooks.get(message.chat.chat_id, ("", None))
        if not webhook or (expiry is not None and expiry - WEBHOOK_MARGIN_MS <= time.time() * 1000):
            webhook = ""  # no fresh session webhook: the sender takes the next way
        if message.choices:
            self._latest[message.chat.chat_id] = cards.question_id(message.key)
        if self._queue is None:
            log.warning("dingtalk: not started; message dropped: %.40s", message.text)
            return
        self._queue.put_nowait((webhook, message))

    async def _send_loop(self) -> None:
        assert self._queue is not None
        while True:
            webhook, message = await self._queue.get()
            try:
                await self._send(webhook, message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one line per failure; the texts never carry a secret or token
                log.warning("dingtalk: message to %s not sent: %s", message.chat.chat_id, exc)
            finally:
                self._queue.task_done()

    async def _send(self, webhook: str, message: Outgoing, confirmed: bool = False) -> None:
        if message.closes:
            await self._close_cards(message)
        if message.choices and not message.multiple and self._template and await self._send_card(message):
            return
        text = cards.text_fallback(message, message.chat.is_group)
        markdown = bool(message.markdown)
        for piece in pieces(text):
            if webhook:
                body = session_body(piece, markdown=markdown, mentions=message.mentions)
                errcode = await asyncio.to_thread(lambda: post_session(self._openapi.http(), webhook, body))
                if errcode != WEBHOOK_EXPIRED_ERRCODE:
                    continue
                self._forget_webhook(message.chat.chat_id, webhook)
                webhook = ""
            await self._push(message, piece, markdown, confirmed)

    async def _push(self, message: Outgoing, text: str, markdown: bool, confirmed: bool = False) -> None:
        """A message DingTalk did not ask for: the group's custom robot, else the OpenAPI."""
        chat = message.chat
        robot = (self._robots.get(chat.chat_id) or self._robots.get(chat.name)) if chat.is_group else None
        if robot is not None and self._webhook is not None:
            label = chat.name or chat.chat_id
            if markdown:
                sent = self._webhook.send_markdown(robot.access_token, robot.secret, title_of(text), text,
                                                   label=label, confirmed=confirmed)
            else:
                sent = self._webhook.send_text(robot.access_token, robot.secret, text, message.mentions,
                                               label=label, confirmed=confirmed)
            await asyncio.gather(*sent)  # raises Dropped when the robot gave up on it
            return
        key, param = msg_for(title_of(text), text, markdown)
        if chat.is_group:
            await asyncio.to_thread(self._openapi.send_group, chat.chat_id, key, param)
        else:
            await asyncio.to_thread(self._openapi.send_private, [chat.chat_id], key, param)

    async def _send_card(self, message: Outgoing) -> bool:
        track_id = cards.out_track_id(message.key or "question")
        body = cards.deliver_body(template_id=self._template, track_id=track_id, robot_code=self._openapi.robot_code,
                                  chat_id=message.chat.chat_id, is_group=message.chat.is_group,
                                  card_data=cards.question_card_data(message))
        question = cards.question_of(track_id)
        # known before it is delivered: a member may tap it before DingTalk's answer reaches us
        self._cards.put(track_id, _Card(message.chat, question))
        try:
            await asyncio.to_thread(self._openapi.deliver_card, body)
        except Exception as exc:
            log.warning("dingtalk: card to %s not sent (%s); sending the question as text",
                        message.chat.chat_id, exc)
            return False
        self._question_cards.put(question, [*(self._question_cards.get(question) or []), track_id])
        return True

    async def _close_cards(self, message: Outgoing) -> None:
        question = cards.question_id(message.closes)
        self._closed.put(question, True)
        for track_id in self._question_cards.get(question) or []:
            await self._update(cards.update_body(track_id, card_data=cards.closed_data(message.answer)))

    async def _update(self, body: dict) -> None:
        try:
            await asyncio.to_thread(self._openapi.update_card, body)
        except Exception as exc:
            log.warning("dingtalk: card %s not updated: %s", body.get("outTrackId"), exc)

    def _forget_webhook(self, chat_id: str, webhook: str) -> None:
        if self._webhooks.get(chat_id, ("", None))[0] == webhook:
            del self._webhooks[chat_id]
