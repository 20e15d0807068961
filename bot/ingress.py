"""Where every channel's messages enter the core in service: the messages that arrive within a few milliseconds
share one transaction, and each message's replies are handed back only after the commit that stored it.

One commit per answer was the bottleneck (SQLite's WAL append and fsync bookkeeping, PostgreSQL's round trip and
WAL flush cost more than handling the answer itself); gathered, a few hundred answers share one. The first message
of a batch arms a timer of `window` seconds; messages that arrive meanwhile join; the timer (or the `largest`-th
message) handles them all through `handle_many`, which keeps the one road, the order of arrival, and the guarantee
that a message failing alone does not sink the others (the batch is then handled again message by message).

Runs on the service's loop (the contests' in-memory state is the loop's alone). Anything that reaches the core by
another door (`App.handle`, a contest deadline) first flushes what is waiting here, so the core sees messages in
the order they arrived. A window of 0 makes the ingress transparent: each message is handled as it comes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from bot.messages import Incoming, Outgoing

__all__ = ["Ingress", "WINDOW", "LARGEST"]

log = logging.getLogger(__name__)

WINDOW = 0.003  # seconds a message may wait for others to share its commit
LARGEST = 256  # messages in one transaction at most: the loop is not held for more than a few milliseconds


class Cancellable(Protocol):
    def cancel(self) -> None: ...


# (delay, callback) -> a handle that can be cancelled: the loop's call_later, or a test's hand-fired timer
CallLater = Callable[[float, Callable[[], None]], Cancellable]


class Ingress:
    """`window`: seconds the first message of a batch waits for others (0: none); `studybot run` opens it on an
    ingress built closed. `call_later`: the timer, the running loop's unless a test fires it by hand."""

    def __init__(self, handle_many: Callable[[list[Incoming]], list[list[Outgoing]]], *, window: float = WINDOW,
                 largest: int = LARGEST, call_later: CallLater | None = None) -> None:
        self._handle_many, self.window, self._largest = handle_many, window, largest
        self._call_later = call_later
        self._waiting: list[tuple[Incoming, asyncio.Future[list[Outgoing]]]] = []
        self._timer: Cancellable | None = None

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def submit(self, incoming: Incoming) -> asyncio.Future[list[Outgoing]]:
        """A future for `incoming`'s replies, resolved once the transaction that handled it has committed.
        A caller that must not wait (a stream's reader) adds a done-callback; results resolve in arrival order."""
        future: asyncio.Future[list[Outgoing]] = asyncio.get_running_loop().create_future()
        self._waiting.append((incoming, future))
        if self.window <= 0 or len(self._waiting) >= self._largest:
            self.flush()
        elif self._timer is None:
            call_later = self._call_later or asyncio.get_running_loop().call_later
            self._timer = call_later(self.window, self.flush)
        return future

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        """The replies to `incoming`, after the commit that stored it."""
        return await self.submit(incoming)

    def flush(self) -> None:
        """Handle everything waiting now, in one transaction."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._waiting = self._waiting, []
        if not batch:
            return
        try:
            replies = self._handle_many([incoming for incoming, _ in batch])
        except Exception as error:  # handle_many never raises; should it, no caller waits for ever
            log.exception("a batch of %d messages could not be handled", len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), answer in zip(batch, replies, strict=True):
            if not future.done():  # a caller that went away (an HTTP request cancelled) cancelled its future
                future.set_result(answer)
