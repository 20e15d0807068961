"""How a test waits for a fake platform: on a signal the fake gives after each change, never by
sleeping a fixed time. The fake calls `changed()` from the test's loop or from its own thread."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TypeVar

__all__ = ["Changes"]

T = TypeVar("T")


class Changes:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None

    def bind(self) -> None:
        """Signal the running loop (the test's) from now on."""
        self._loop = asyncio.get_running_loop()
        self._event = asyncio.Event()

    def changed(self) -> None:
        loop, event = self._loop, self._event
        if loop is None or event is None or loop.is_closed():
            return
        try:
            here = asyncio.get_running_loop() is loop
        except RuntimeError:
            here = False
        if here:
            event.set()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(event.set)

    async def until(self, ready: Callable[[], T], timeout: float, failure: Callable[[], str]) -> T:
        """The first truthy `ready()`, checked after each change; AssertionError(failure()) after
        `timeout` seconds without one."""
        assert self._loop is not None and self._event is not None, "bind() first"
        deadline = self._loop.time() + timeout
        while True:
            self._event.clear()
            result = ready()
            if result:
                return result
            remaining = deadline - self._loop.time()
            if remaining <= 0:
                raise AssertionError(failure())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), remaining)
