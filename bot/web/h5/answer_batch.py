"""The live contest page's answers, committed a few milliseconds' worth at a time: 10,000 members answering within
seconds made one transaction (and one commit) per answer the service's bottleneck (bench/h5.py). Each answer still
takes the one road (App.handle_many → the dispatcher, the contest's answer policy) and its reply is sent only after
the transaction that stored it committed; a batch that fails is handled again message by message.

Runs on the service's loop (the contests' in-memory state is the loop's alone): the first answer of a batch arms a
timer of WINDOW seconds, the answers that arrive meanwhile join it, the timer handles them all at once."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.messages import Incoming, Outgoing

__all__ = ["AnswerBatch"]

WINDOW = 0.003  # seconds an answer may wait for others to share its commit
LARGEST = 256  # answers in one transaction at most: the loop is not held longer than a few hundred milliseconds


class AnswerBatch:
    def __init__(self, app: App, window: float = WINDOW) -> None:
        self._app, self._window = app, window
        self._waiting: list[tuple[Incoming, asyncio.Future[list[Outgoing]]]] = []
        self._timer: asyncio.TimerHandle | None = None

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        """The replies to `incoming`, once the transaction that handled it has committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Outgoing]] = loop.create_future()
        self._waiting.append((incoming, future))
        if len(self._waiting) >= LARGEST:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self._window, self._flush)
        return await future

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._waiting = self._waiting, []
        if not batch:
            return
        try:
            replies = self._app.handle_many([incoming for incoming, _ in batch])
        except BaseException as error:  # handle_many never raises; should it, no page waits for ever
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            raise
        for (_, future), answer in zip(batch, replies, strict=True):
            if not future.done():  # a page that went away cancelled its request
                future.set_result(answer)
