"""WeCom smart robot (智能机器人), long-connection mode: a websocket client in the service's loop.

The robot's only way to push on its own (a contest's reveal and next question when a timer
fires) is `aibot_send_msg` over this connection; HTTP-callback mode cannot push. One connection
per robot: a newer one kicks the older with `disconnected_event`.

Three parts: the connection (connection.py: subscribe, pings, reconnects, acks), what the
callbacks mean and what the bot answers (frames.py), and the per-conversation queue of pushes
that keeps WeCom's limits (send_queue.py). Every wait runs on the injected `sleep` and `clock`."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

from websockets.exceptions import ConnectionClosed

from bot.app import App
from bot.channels.base import NotDelivered
from bot.channels.common.aio import Clock, Sleep, cancel, within
from bot.channels.common.backoff import Backoff
from bot.channels.common.retries import Taken
from bot.channels.wecom.connection import RobotConnection
from bot.channels.wecom.frames import RobotFrames
from bot.channels.wecom.send_queue import DEFAULT_LIMITS, SendQueue
from bot.messages import Outgoing
from bot.settings import WeComRobotSettings

__all__ = ["WeComRobotWS"]

log = logging.getLogger(__name__)


class WeComRobotWS:
    """The channel `wecom` over the smart robot's long connection. `send` only queues; the
    connection task and the sender task do the rest on the service's loop."""

    def __init__(self, *, app: App, settings: WeComRobotSettings, channel: str = "wecom",
                 ping_interval: float = 30.0, ack_timeout: float = 10.0, backoff_base: float = 1.0,
                 backoff_max: float = 60.0, stable_after: float = 60.0,
                 limits: tuple[tuple[int, float], ...] = DEFAULT_LIMITS, seed: int | None = None,
                 clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        if not settings.bot_id or settings.secret is None:
            raise ValueError("wecom.robot long connection needs bot_id and secret")
        self.name = channel
        self._queue = SendQueue(limits, send_frame=self._send_frame, connection=self._subscribed, clock=clock,
                                sleep=sleep, renew=lambda frame: self._frames.renewed(frame))
        self._connection = RobotConnection(
            settings=settings, queue=self._queue, sleep=sleep, ping_interval=ping_interval, ack_timeout=ack_timeout,
            backoff=Backoff(base=backoff_base, cap=backoff_max, stable_after=stable_after, seed=seed, clock=clock))
        self._frames = RobotFrames(app=app, channel=channel, queue=self._queue, respond=self._respond)
        self._taken = Taken()
        self._sleep = sleep
        self._runner: asyncio.Task[None] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None

    # ----- the Channel face -----

    def router(self) -> None:
        return None  # no HTTP routes: WeCom talks to us over the websocket we open

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._queue.start()
        self._runner = asyncio.create_task(self._connection.run(self._frames), name=f"{self.name}-ws")
        self._sender = asyncio.create_task(self._queue.run(), name=f"{self.name}-ws-sender")

    async def stop(self) -> None:
        await cancel(self._runner, self._sender)
        self._runner = self._sender = None
        left = self._queue.left()
        if left:
            log.warning("wecom robot: stopped with %d message(s) not delivered", left)

    def send(self, message: Outgoing) -> None:
        """Queue a message for its conversation; never blocks. Safe from another thread."""
        loop = self._loop
        if loop is not None and threading.get_ident() != self._loop_thread and not loop.is_closed():
            loop.call_soon_threadsafe(self._frames.enqueue, message)
        else:
            self._frames.enqueue(message)

    async def deliver(self, message: Outgoing, timeout: float = 60.0) -> None:
        """For the outbox: each frame not taken by an earlier attempt, queued by the message's priority
        (a push: behind every contest step and reply) and awaited until WeCom acks it, one after the
        other. A frame is sent once here: `NotDelivered` when WeCom answers an error, when the
        connection is lost before the ack, or after `timeout` seconds without one (the frame taken
        back; `maybe_received` if it had left). A frame still waiting its turn in the conversation's
        lane while connected is not late: the window paces it."""
        chat, frames = self._frames.outgoing(message)

        async def one(frame: dict[str, Any]) -> None:
            req_id = frame["headers"]["req_id"]
            acked = asyncio.gather(*self._queue.push(chat, [frame], confirmed=True, priority=message.priority))
            while not await within(asyncio.shield(acked), timeout, self._sleep):
                if self._queue.queued(req_id) and self._subscribed() is not None:
                    continue
                sent = self._queue.withdraw([req_id])
                raise NotDelivered(f"no ack from WeCom within {timeout:.0f} s" + ("" if sent else " (not connected?)"),
                                   maybe_received=bool(sent))

        await self._taken.each(message, frames, one)

    # ----- frames out -----

    def _subscribed(self) -> Any:
        return self._connection.ws

    async def _send_frame(self, ws: Any, cmd: str, req_id: str, body: dict[str, Any] | None) -> None:
        await self._connection.send_frame(ws, cmd, req_id, body)

    async def _respond(self, ws: Any, cmd: str, req_id: str, body: dict[str, Any], chat_key: str) -> None:
        """A reply bound to a callback's req_id: sent at once on the connection it came on
        (counted against the conversation's limit, never delayed by it)."""
        try:
            await self._connection.send_frame(ws, cmd, req_id, body)
        except ConnectionClosed:
            log.warning("wecom robot: connection closed before %s for %s could be sent", cmd, req_id)
            return
        self._queue.record(chat_key)
