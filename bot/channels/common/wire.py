"""The moment an outbox push is about to leave for the platform, told back to the outbox worker.

The worker must note a row as handed over (committed) before its request may leave, so that a process killed
mid-send leaves a row the next sender knows may be in the chat already (bot/jobs/outbox_claims.py). Noted when the
worker hands the push to its channel, the note would also cover the push's wait in its lane and for a connection,
and a kill during that wait would leave unsure a push that never left. So the worker puts a WireNote in a context
variable around `deliver`; a lane that sends the outbox's pushes (common/webhook_lanes.py) takes it with the
message's items, in the caller's context, and its request calls it on a connection, right before the first byte
is written (httpx's trace, common/attempts.post_once), with nothing awaited in between: a kill after the note
finds the request on its way, not waiting for a connection. A channel with no such lane
(`notes_wire` false) is noted by the worker before `deliver` instead. A context variable, not a parameter: the
note passes through `deliver`, the group routing and the webhook's splitting into pieces untouched."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

__all__ = ["WireNote", "ON_WIRE", "notes_wire"]


class WireNote:
    """`note()` stores that the push is about to leave (True) or finds it no longer the caller's to send (False);
    calling a WireNote notes once, for the push's first request, and answers the same after."""

    def __init__(self, note: Callable[[], bool]) -> None:
        self._note = note
        self.answer: bool | None = None  # None: not called (nothing left for the platform)

    def __call__(self) -> bool:
        if self.answer is None:
            self.answer = self._note()
        return self.answer


ON_WIRE: ContextVar[WireNote | None] = ContextVar("on_wire", default=None)


def notes_wire(channel: object, message: object) -> bool:
    """Whether `channel` calls the WireNote itself when it sends `message` (its `notes_wire(message)`)."""
    ask = getattr(channel, "notes_wire", None)
    return bool(ask(message)) if callable(ask) else False
