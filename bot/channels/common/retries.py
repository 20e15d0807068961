"""Who tries a message again, and how often: exactly one layer for each message.

- A push from the outbox (`deliver`): the outbox, which stores each attempt (bot/jobs/outbox_worker.py);
  the channel makes one request per piece and reports what happened (`NotDelivered`).
- A reply or a contest step (`send`): the channel's own sender, by `Retries` below.

Either way a request that may have reached the platform is sent again at most once, after a
pause, so a slow platform shows a message at most twice; one that certainly did not is sent again
with backoff; one the platform refused is not sent again at once.

Written here rather than with tenacity (which the project used before): whether to try again, and when, turns
on what every earlier failure said (how many may have been received), and the outbox keeps the same count
across restarts in its rows; tenacity's wait and stop hooks see the attempt number and the last outcome."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.channels.base import NotDelivered
from bot.channels.common.aio import Sleep
from bot.messages import Outgoing

__all__ = ["Retries", "keep_trying", "Taken"]

T = TypeVar("T")


@dataclass(frozen=True)
class Retries:
    """`attempts` tries in all, `first` seconds before the second and doubling up to `most`; after a
    try that may have been received, `pause` seconds before the one more it gets."""
    attempts: int = 8
    first: float = 2.0
    most: float = 60.0
    pause: float = 30.0

    def wait(self, tries: int, unsure: int, failure: NotDelivered) -> float | None:
        """Seconds before the next try after `tries` tries, `unsure` of which may have been
        received, the last failing with `failure`; None: give up."""
        if failure.refused or tries >= self.attempts:
            return None
        if failure.maybe_received:
            return self.pause if unsure == 1 else None
        return min(self.most, self.first * 2 ** (tries - 1))


async def keep_trying(send: Callable[[], Awaitable[None]], rule: Retries, sleep: Sleep,
                      retrying: Callable[[NotDelivered, int, float], None] = lambda failure, tries, wait: None) -> None:
    """`send()` until it goes through or `rule` gives up: then the last failure is raised, its text
    saying how many attempts it took. `retrying(failure, tries, wait)` is told before each wait."""
    tries = unsure = 0
    while True:
        try:
            await send()
            return
        except NotDelivered as failure:
            tries += 1
            unsure += failure.maybe_received
            wait = rule.wait(tries, unsure, failure)
            if wait is None:
                if tries == 1:
                    raise
                raise NotDelivered(f"{failure} (after {tries} attempts)", maybe_received=unsure > 0,
                                   refused=failure.refused) from None
            retrying(failure, tries, wait)
            await sleep(wait)


class Taken:
    """Which pieces of the outbox's pushes the platform has taken (the last `size`), so a push tried
    again sends only the pieces it has not: a long study item cut in three whose second piece met a
    rate limit does not show its first piece twice. In memory: after a restart, all of it again."""

    def __init__(self, size: int = 2000) -> None:
        self._size = size
        self._taken: OrderedDict[tuple[str, str, str, int, int], None] = OrderedDict()

    async def each(self, message: Outgoing, pieces: Sequence[T], send: Callable[[T], Awaitable[None]]) -> None:
        """`send` each piece not taken before, in order, each once the one before was taken; a
        failure stops there (raised). A message without a key is sent whole."""
        chat = message.chat
        for index, piece in enumerate(pieces):
            mark = (chat.channel, chat.chat_id, message.key, index, len(pieces))
            if message.key and mark in self._taken:
                continue
            await send(piece)
            if message.key:
                self._taken[mark] = None
                while len(self._taken) > self._size:
                    self._taken.popitem(last=False)
