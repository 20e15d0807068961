"""What every channel adapter offers the service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from bot.messages import Outgoing

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = ["Channel", "ServiceChannel"]


@runtime_checkable
class Channel(Protocol):
    """The least an adapter does: take messages the bot sends on its own (timer-driven reveals,
    pushes). `send` must not block: an adapter that talks to a platform queues the message and
    delivers it from its own task, respecting the platform's limits."""

    name: str

    def send(self, message: Outgoing) -> None: ...


@runtime_checkable
class ServiceChannel(Channel, Protocol):
    """A channel that runs inside `studybot run`: started and stopped with the service, and
    optionally serving HTTP callbacks under its own paths."""

    def router(self) -> APIRouter | None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
