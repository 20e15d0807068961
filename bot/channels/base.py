"""What every channel adapter offers the service: one protocol, checked by the type checker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from bot.messages import Outgoing

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["Channel", "NotDelivered"]


class NotDelivered(Exception):
    """What `deliver` raises when the platform did not say it took the message; the outbox, which
    owns the retries of pushes, decides from it whether and when to send again.

    `maybe_received`: the request may have reached the platform all the same (no answer after the
    whole request was written: a timeout, a connection dropped, a gateway error). The platforms do
    not dedupe, so sending it again may show the message twice: it is sent again at most once.
    `refused`: the platform answered no (a removed robot, a bad key): the same request at once
    would get the same answer. Neither: it certainly did not take it (the connection was refused,
    a rate limit), and sending again is safe. `held`: the platform takes nothing of this kind until
    someone acts (a used-up quota, a missing permission; the channel has told the admins): the
    message waits, and the wait is not counted as an attempt."""

    def __init__(self, reason: str, *, maybe_received: bool = False, refused: bool = False,
                 held: bool = False) -> None:
        super().__init__(reason)
        self.maybe_received, self.refused, self.held = maybe_received, refused, held


class Channel(Protocol):
    """A platform (or the terminal) the bot talks through.

    `send` hands a message over and returns at once: an adapter that talks to a platform queues it
    and sends it from its own task, within the platform's limits (replies, timer-driven reveals).
    `deliver` is awaited by the outbox: it returns once the platform took the message, and raises
    `NotDelivered` when it did not; it makes one request per piece not yet taken and never retries
    by itself (the outbox does, and counts each attempt). An adapter whose platform cannot confirm
    a send hands it to `send` and returns. `router` is the adapter's HTTP callbacks (None: it has
    none); `start` and `stop` run and end its own tasks inside `studybot run`."""

    name: str

    def send(self, message: Outgoing) -> None: ...

    async def deliver(self, message: Outgoing) -> None: ...

    def router(self) -> APIRouter | None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
