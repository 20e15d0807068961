"""The one way a channel sends to a destination within the platform's limit: a lane per destination
(a conversation, a webhook), each with its queue ordered by (priority, arrival), its sliding rate
window (`RateWindow`: a burst waits, it is never dropped) and its sender task.

The order is decided when the window has room, not when a message is queued: the sender first waits
for room, then takes the most urgent message queued at that moment. So a reveal (`Priority.STEP`)
queued behind 40 acknowledgements and 20 study pushes goes out in the next free slot, and messages of
one priority keep the order they came in. And a tenth of each limit is kept for contest steps
(`reserve`: 2 of a webhook's 20 a minute, 3 of WeCom's 30): a backlog of replies and pushes stops
short of the limit, so a reveal and the next question usually go at once instead of waiting for the
window to move on (up to a minute when a burst filled it).

Every request counts against its destination's window: the lane's own, one more try of a request by
the channel (`room`), and messages a channel sends outside the lane (`record`: a reply bound to a
callback that must go at once). A lane never tries a message again by itself: its `send` makes one
attempt (a channel that owns the retries of what it sends, common/retries.py, asks `room` before
each later try); `Later` from `send` puts the message back in its place and waits for `ready` (no
connection: nothing left)."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.channels.common.aio import Clock, Sleep, cancel, within
from bot.channels.common.rate_window import RateWindow
from bot.messages import Priority

__all__ = ["SendLanes", "Later", "Limits", "GROUP_PER_MINUTE"]

T = TypeVar("T")
Limits = tuple[tuple[int, float], ...]  # (messages, seconds) pairs, all kept at once
# a WeCom group webhook (消息推送) and a DingTalk custom robot take 20 messages a minute each; the
# outbox hands a chat no more pushes a minute than that (bot/jobs/outbox_worker.py)
GROUP_PER_MINUTE = 20


class Later(Exception):
    """What a lane's `send` raises when the message did not leave (the connection went): it stays
    queued in its place, and the lane waits for `ready` before it tries again."""


@dataclass(order=True)
class _Ticket(Generic[T]):
    priority: int
    seq: int
    item: T = field(compare=False)


@dataclass
class _Lane(Generic[T]):
    heap: list[_Ticket[T]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    busy: bool = False  # a message taken from the queue is being sent
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # a more urgent message came


class SendLanes(Generic[T]):
    """`put(key, item, priority)` queues (on the service's loop; before `start` too); `start()` runs a
    sender per destination with something queued, `stop()` cancels them; `drain()` waits until all
    is sent. `send(key, item)` is the channel's one attempt; `ready()`, when given, is awaited
    before each message (a connection to send on). `reserve`: how many of each limit's messages only
    `Priority.STEP` may use (None: a tenth of the limit)."""

    def __init__(self, limits: Limits, *, send: Callable[[Hashable, T], Awaitable[None]],
                 ready: Callable[[], Awaitable[None]] | None = None, clock: Clock = time.monotonic,
                 sleep: Sleep = asyncio.sleep, name: str = "lanes", log: logging.Logger | None = None,
                 reserve: int | None = None) -> None:
        self.limits = limits
        self._reserve = min((count // 10 for count, _ in limits), default=0) if reserve is None else reserve
        self._window = RateWindow(limits)
        self._send, self._ready = send, ready
        self._clock, self._sleep = clock, sleep
        self._name, self._log = name, log or logging.getLogger(__name__)
        self._lanes: dict[Hashable, _Lane[T]] = {}
        self._seq = itertools.count()
        self._running = False
        self._unfinished = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # ----- queueing -----

    def put(self, key: Hashable, item: T, priority: int = Priority.REPLY, arrival: int | None = None) -> int:
        """Queue `item`; its place in arrival order (give it back as `arrival` to queue an item
        again in the place it had, a message that must go again)."""
        lane = self._lanes.get(key)
        if lane is None:
            lane = self._lanes[key] = _Lane()
        seq = next(self._seq) if arrival is None else arrival
        ticket = _Ticket(int(priority), seq, item)
        heapq.heappush(lane.heap, ticket)
        if lane.heap[0] is ticket:
            lane.wake.set()  # the sender may be waiting for room for a less urgent one
        self._unfinished += 1
        self._idle.clear()
        if self._running and lane.task is None:
            self._spawn(key, lane)
        return seq

    def take_back(self, wanted: Callable[[T], bool]) -> int:
        """Take the queued items `wanted` says so out of every lane (never sent); how many."""
        taken = 0
        for lane in self._lanes.values():
            kept = [ticket for ticket in lane.heap if not wanted(ticket.item)]
            if len(kept) != len(lane.heap):
                taken += len(lane.heap) - len(kept)
                heapq.heapify(kept)
                lane.heap = kept
        self._finished(taken)
        return taken

    def queued(self, wanted: Callable[[T], bool]) -> bool:
        return any(wanted(ticket.item) for lane in self._lanes.values() for ticket in lane.heap)

    def pending(self) -> int:
        """Messages queued, and those being sent."""
        return sum(len(lane.heap) + lane.busy for lane in self._lanes.values())

    # ----- the window -----

    def record(self, key: Hashable) -> None:
        """A message sent to `key` outside the lane (a reply that goes at once): it counts all the same."""
        self._window.record(key, self._clock())

    async def room(self, key: Hashable, priority: int = Priority.REPLY) -> None:
        """Wait until `key`'s window has room for one more request, and count it (a channel's retry)."""
        while (wait := self._wait(key, priority)) > 0:
            await self._sleep(wait)
        self._window.record(key, self._clock())

    def _wait(self, key: Hashable, priority: int) -> float:
        return self._window.wait(key, self._clock(), 0 if priority <= Priority.STEP else self._reserve)

    # ----- lifecycle -----

    def start(self) -> None:
        if self._running:
            return
        self._running = True
        for key, lane in list(self._lanes.items()):
            if lane.heap and lane.task is None:
                self._spawn(key, lane)

    async def stop(self) -> None:
        self._running = False
        await cancel(*(lane.task for lane in self._lanes.values()))
        for lane in self._lanes.values():
            lane.task, lane.busy = None, False

    async def drain(self) -> None:
        """Wait until every message queued so far has been sent (or given up)."""
        if self._running:
            await self._idle.wait()

    # ----- sending -----

    def _spawn(self, key: Hashable, lane: _Lane[T]) -> None:
        lane.task = asyncio.get_running_loop().create_task(self._run(key, lane), name=f"{self._name} {key}")

    async def _run(self, key: Hashable, lane: _Lane[T]) -> None:
        try:
            while lane.heap:
                if self._ready is not None:
                    await self._ready()
                if (wait := self._wait(key, lane.heap[0].priority)) > 0:
                    lane.wake.clear()  # woken early by a more urgent message, which may have room now
                    await within(lane.wake.wait(), wait, self._sleep)
                    continue
                ticket = heapq.heappop(lane.heap)  # the most urgent now, not when the wait began
                at = self._clock()
                self._window.record(key, at)
                lane.busy = True
                try:
                    await self._send(key, ticket.item)
                except Later:
                    self._window.forget(key, at)
                    heapq.heappush(lane.heap, ticket)
                    continue
                except asyncio.CancelledError:
                    raise
                except Exception:  # a bug here must not stop the lane
                    self._log.exception("%s %s: sending failed", self._name, key)
                finally:
                    lane.busy = False
                self._finished(1)
        finally:
            if lane.task is asyncio.current_task():
                lane.task = None
        if not lane.heap and self._lanes.get(key) is lane:
            del self._lanes[key]  # nothing queued: the window remembers what went
            self._window.forget_idle(self._clock())

    def _finished(self, count: int) -> None:
        self._unfinished -= count
        if self._unfinished <= 0:
            self._unfinished = 0
            self._idle.set()
