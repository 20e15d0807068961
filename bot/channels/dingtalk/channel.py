"""DingTalk (钉钉) enterprise robot in Stream mode: the channel `dingtalk`.

The SDK's client (with our connection loop, stream.py) runs as a task next to the HTTP server.
Two topics:
- chatbot (/v1.0/im/bot/messages/get): group messages that @ the robot and private messages;
- card callback (/v1.0/card/instances/callback): a tap on a question card's button, translated for
  the core by taps.py (the core decides what it means; its note for the member goes on their card).
Our handlers only queue the work and return, so the SDK acks at once (a late ack makes DingTalk
deliver the message again about a minute later); a redelivered msgId is acked and ignored. The
work, one frame at a time in order: `Incoming` → `app.handle` on the loop thread → the replies
queued. One sender task sends the queue by priority, then in order, each message the first way
that works (sending.py); a group's custom robot keeps its own lane and window (robot_webhook.py)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any

from dingtalk_stream import AckMessage, CallbackHandler, ChatbotMessage, Credential
from dingtalk_stream.frames import CallbackMessage

from bot.app import App
from bot.channels.common.aio import Clock, Sleep, cancel
from bot.channels.common.backoff import Backoff
from bot.channels.common.private_notes import dropped
from bot.channels.dingtalk import cards
from bot.channels.dingtalk.incoming import frame_problem, incoming_from
from bot.channels.dingtalk.openapi import DingTalkOpenAPI
from bot.channels.dingtalk.quota import Quota
from bot.channels.dingtalk.replies import Handle, SessionWebhooks
from bot.channels.dingtalk.robot_webhook import DingTalkWebhook
from bot.channels.dingtalk.sending import Outbound, WebhookRobot
from bot.channels.dingtalk.stream import StreamClient
from bot.channels.dingtalk.tap_acks import LateCards, TapHandler
from bot.channels.dingtalk.taps import CardBook, answer_tap
from bot.messages import Incoming, Outgoing

__all__ = ["DingTalkChannel", "WebhookRobot", "CHATBOT_TOPIC", "CARD_TOPIC", "incoming_from"]

log = logging.getLogger(__name__)

CHATBOT_TOPIC = ChatbotMessage.TOPIC  # /v1.0/im/bot/messages/get
CARD_TOPIC = CallbackHandler.TOPIC_CARD_CALLBACK  # /v1.0/card/instances/callback
SEEN_MAX = 10_000
# a tap's ack leaves at once when the work queued ahead of it would take more than this share of its wait:
# the estimate leaves out the acks' own work and the taps around them
BEHIND_SHARE = 0.6
TAP_TIME_GUESS = 0.004  # seconds the core takes for a tap, until measured (a running mean)


class _Handler(CallbackHandler):
    """Queues the work and returns at once: the SDK sends the ack when `process` returns."""

    def __init__(self, accept: Callable[[CallbackMessage], None]) -> None:
        super().__init__()
        self._accept = accept

    async def process(self, callback: CallbackMessage) -> tuple[int, str]:
        self._accept(callback)
        return AckMessage.STATUS_OK, "OK"


class DingTalkChannel:
    """The channel `dingtalk`. `send` only queues; the sender task sends. `sleep` and `clock`
    pace the reconnects (tests pass their own)."""

    def __init__(self, *, app: App, client_id: str, client_secret: str,
                 openapi_endpoint: str = "https://api.dingtalk.com", card_template_id: str = "",
                 webhooks: dict[str, WebhookRobot] | None = None, webhook_base_url: str = "https://oapi.dingtalk.com",
                 channel: str = "dingtalk", backoff_base: float = 1.0, backoff_max: float = 60.0,
                 seed: int | None = None, sleep: Sleep = asyncio.sleep, clock: Clock = time.monotonic,
                 tap_wait: float = 1.3, quota_per_month: int = 5000) -> None:
        if not client_id or not client_secret:
            raise ValueError("dingtalk needs client_id and client_secret")
        self.name = channel
        self._app = app
        backoff = Backoff(base=backoff_base, cap=backoff_max, stable_after=60.0, seed=seed, clock=clock)
        self._client = StreamClient(Credential(client_id, client_secret), openapi_endpoint=openapi_endpoint,
                                    backoff=backoff, sleep=sleep)
        self._client.register_callback_handler(CHATBOT_TOPIC, _Handler(self._accept_message))
        self._tap_wait, self._tap_time, self._clock = tap_wait, TAP_TIME_GUESS, clock
        self._client.register_callback_handler(CARD_TOPIC, TapHandler(self._accept_tap, tap_wait, self._behind, clock))
        robots = dict(webhooks or {})
        self._robot_webhook = DingTalkWebhook(base_url=webhook_base_url) if robots else None
        self._sessions = SessionWebhooks()
        self._book = CardBook(app.db, channel, app.clock.now)
        self.quota = Quota(db=app.db, now=app.clock.now, per_month=quota_per_month, channel=channel)
        self._outbound = Outbound(
            openapi=DingTalkOpenAPI(app_key=client_id, app_secret=client_secret, endpoint=openapi_endpoint,
                                    meter=self.quota.count),
            template=card_template_id, robots=robots, robot_webhook=self._robot_webhook, sessions=self._sessions,
            book=self._book, quota=self.quota)
        self._late = LateCards(schedule=self._after_queued, send=self._outbound.update, spawn=self._spawn,
                               quota=self.quota)
        self._seen: OrderedDict[str, None] = OrderedDict()
        # created here, so messages sent before start() (contests resumed at start) wait rather than vanish;
        # by priority, then arrival: a reveal goes before replies and pushes queued earlier
        self._queue: asyncio.PriorityQueue[tuple[int, int, str, Outgoing]] = asyncio.PriorityQueue()
        self._arrivals = itertools.count()
        self._inbox: asyncio.Queue[Callable[[], None]] | None = None  # frames' work, in order
        self._worker: asyncio.Task[None] | None = None
        self._runner: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._work: set[asyncio.Task[None]] = set()
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
        if self._robot_webhook is not None:
            await self._robot_webhook.start()
        self._sender = asyncio.create_task(self._send_loop(), name=f"{self.name}-sender")
        self._runner = asyncio.create_task(self._client.start(), name=f"{self.name}-stream")

    async def stop(self) -> None:
        await cancel(self._runner, self._worker, self._sender)
        await cancel(*self._work)
        ws = self._client.websocket
        if ws is not None:
            try:
                await ws.close()
            except Exception:  # already closed or broken: nothing to do
                pass
        if self._robot_webhook is not None:
            await self._robot_webhook.stop()
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
        if not dropped(message, self.name):
            await self._outbound.send(self._sessions.fresh(message.chat.chat_id), message, confirmed=True)

    async def drain(self) -> None:
        """Wait until everything received and queued so far is handled and sent (tests and benches)."""
        if self._inbox is not None:
            await self._inbox.join()
        self._app.ingress.flush()  # what the frames handed to the core (their replies come back on the loop)
        await asyncio.sleep(0)
        await self._queue.join()
        if self._robot_webhook is not None:
            await self._robot_webhook.drain()

    # ----- frames in -----

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._work.add(task)
        task.add_done_callback(self._work.discard)

    def _accept_message(self, callback: CallbackMessage) -> None:
        assert self._inbox is not None
        self._inbox.put_nowait(lambda: self._on_message(callback))

    def _accept_tap(self, callback: CallbackMessage) -> asyncio.Future[dict[str, Any] | None]:
        assert self._inbox is not None
        answer: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        self._inbox.put_nowait(lambda: self._on_tap(callback, answer))
        return answer

    async def _work_loop(self) -> None:
        """Handle the frames one at a time, in the order they came, yielding between them: the
        connection reads and acks the next frames meanwhile instead of waiting behind a burst."""
        assert self._inbox is not None
        while True:
            job = await self._inbox.get()
            job()
            self._inbox.task_done()
            await asyncio.sleep(0)

    def _behind(self) -> bool:
        """Whether the frames queued would take the core longer than a tap's ack may wait."""
        return self._inbox is not None and self._inbox.qsize() * self._tap_time > BEHIND_SHARE * self._tap_wait

    def _after_queued(self, job: Callable[[], None]) -> None:
        assert self._inbox is not None
        self._inbox.put_nowait(job)

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
            if problem := frame_problem(callback.data):
                log.warning("dingtalk: malformed chatbot frame ignored (%s)", problem)
                return
            try:
                msg = ChatbotMessage.from_dict(callback.data)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a shape frame_problem does not know
                log.warning("dingtalk: malformed chatbot frame ignored (%s: %s)", type(exc).__name__, exc)
                return
            incoming = incoming_from(msg, self.name, self._app.clock.now(), self._app.settings.bot.name)
            if incoming is None:
                log.warning("dingtalk: chatbot frame missing msgId, conversationId or sender ignored")
                return
            if not self._first_time(incoming.message_id):
                return
            if msg.session_webhook:
                self._sessions.remember(incoming.chat.chat_id, (msg.session_webhook, msg.session_webhook_expired_time))
            note = self._outbound.unidentified.note(incoming, msg.sender_staff_id)  # no staff id: told once
            # the worker goes on to the next frame while this one waits in the app's ingress for its commit
            handled = self._app.receive_soon(incoming)
            if handled.done():
                self._replied(handled, incoming, note)
            else:
                handled.add_done_callback(lambda done: self._replied(done, incoming, note))
        except Exception:
            log.exception("dingtalk: message could not be handled")

    def _replied(self, handled: asyncio.Future[list[Outgoing]], incoming: Incoming, note: list[Outgoing]) -> None:
        if handled.cancelled() or handled.exception() is not None:
            log.error("dingtalk: message %s could not be handled", incoming.message_id)
            return
        for reply in [*handled.result(), *note]:
            self._enqueue(reply, incoming.reply_handle)

    def _on_tap(self, callback: CallbackMessage, answer: asyncio.Future[dict[str, Any] | None]) -> None:
        started = self._clock()
        try:
            tap = cards.parse_tap(callback.data)
            if tap is None:
                log.warning("dingtalk: card callback without outTrackId or userId ignored")
                return
            if not tap.choice:
                log.debug("dingtalk: tap without an option on %s", tap.out_track_id)
                return  # a button that is not an option: nothing to answer
            frame_id = callback.headers.message_id if callback.headers is not None else ""
            outcome = answer_tap(self._book, self._app, self.name, tap, f"card:{frame_id or uuid.uuid4().hex}")
            if answer.cancelled():  # the ack has left without it: the card through the API, gathered
                if outcome.private is not None:
                    self._late.add(tap.out_track_id, tap.user_id, outcome.private)
            else:
                answer.set_result(outcome.response())
            for reply in outcome.replies:
                self._enqueue(reply, None)
        except Exception:
            log.exception("dingtalk: card tap could not be handled")
        finally:
            if not answer.done():
                answer.set_result(None)
            self._tap_time += (self._clock() - started - self._tap_time) / 16

    # ----- frames out -----

    def _enqueue(self, message: Outgoing, handle: Handle | None) -> None:
        if dropped(message, self.name):
            return
        webhook = self._sessions.fresh(message.chat.chat_id, handle)
        self._queue.put_nowait((int(message.priority), next(self._arrivals), webhook, message))

    async def _send_loop(self) -> None:
        while True:
            _, _, webhook, message = await self._queue.get()
            try:
                await self._outbound.send(webhook, message)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # one line per failure; the texts never carry a secret or token
                log.warning("dingtalk: message to %s not sent: %s", message.chat.chat_id, exc)
            finally:
                self._queue.task_done()
