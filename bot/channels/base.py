"""What every channel adapter offers the service: one protocol, checked by the type checker."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from bot.messages import Outgoing

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["Channel"]


class Channel(Protocol):
    """A platform (or the terminal) the bot talks through.

    `send` hands a message over and returns at once: an adapter that talks to a platform queues it
    and sends it from its own task, within the platform's limits (replies, timer-driven reveals).
    `deliver` is awaited by the outbox: it returns once the platform took the message, and raises
    when it did not, so the push is tried again later; an adapter whose platform cannot confirm a
    send hands it to `send` and returns. `router` is the adapter's HTTP callbacks (None: it has
    none); `start` and `stop` run and end its own tasks inside `studybot run`."""

    name: str

    def send(self, message: Outgoing) -> None: ...

    async def deliver(self, message: Outgoing) -> None: ...

    def router(self) -> APIRouter | None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
