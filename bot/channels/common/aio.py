"""Time and tasks in the channels' own asyncio loops.

Every loop that waits (reconnect backoff, keepalive pings, rate windows, flushing at stop) takes
its `sleep` and `clock` as constructor parameters, defaulting to the real ones: a test passes a
fake pair and decides when each wait ends, so nothing it checks depends on how busy the machine is."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["Sleep", "Clock", "within", "cancel"]

Sleep = Callable[[float], Awaitable[None]]  # asyncio.sleep, or a test's
Clock = Callable[[], float]  # seconds; time.monotonic, or a test's


async def within(work: Awaitable[Any], seconds: float, sleep: Sleep) -> bool:
    """Await `work` for at most `seconds` of `sleep`: True when it finished in time (an error it
    raised is raised here), False when the time ran out (`work` is cancelled then)."""
    task = asyncio.ensure_future(work)
    timer = asyncio.ensure_future(sleep(seconds))
    try:
        await asyncio.wait({task, timer}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # the caller was cancelled: take both down with it
        await cancel(task, timer)
        raise
    await cancel(timer)
    if not task.done():
        await cancel(task)
        return False
    task.result()
    return True


async def cancel(*tasks: asyncio.Future[Any] | None) -> None:
    """Cancel the tasks and wait until they have ended (what they raised on the way out included)."""
    running = [task for task in tasks if task is not None]
    for task in running:
        task.cancel()
    # gather, not a bare await: a cancellation of the caller itself still reaches the caller
    await asyncio.gather(*running, return_exceptions=True)
