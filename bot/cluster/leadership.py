"""Who leads, seen from one instance: the lease loop (take or renew every `renew` seconds), the local deadline
before which a leader must have renewed, and the step-down.

The deadline is counted on this process's monotonic clock from the moment a renewal was *sent*: the database
set the expiry from its own `now()`, which is later, so the local deadline always comes first. It keeps
`renew` seconds in hand: a leader that could not renew by then stops everything before the lease can expire.
A leader whose renewal fails (the database said no, or the connection broke) steps down at once. A process that
was stopped (SIGSTOP) past its lease finds its deadline gone when it wakes: `valid()` is False before any of its
tasks runs again, and the first write it tries is refused by the fence (bot/cluster/fence.py)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable

from bot.cluster.lease import Lease

__all__ = ["Leadership"]

log = logging.getLogger(__name__)


class Leadership:
    def __init__(self, lease: Lease, *, lease_seconds: float, renew_seconds: float,
                 on_lead: Callable[[int], Awaitable[None]], on_step_down: Callable[[str], Awaitable[None]],
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.lease = lease
        self._lease_seconds, self._renew = lease_seconds, renew_seconds
        self._on_lead, self._on_step_down = on_lead, on_step_down
        self._monotonic = monotonic
        self.epoch: int | None = None
        self._deadline = 0.0
        self._quiet_until = 0.0  # after a step-down: leave the lease to the others for a while
        self._lost: str | None = None  # set by the fence when a write was refused
        self.changes = 0  # leaderships begun and ended, for the log and tests
        self._wake = asyncio.Event()
        self._renewer: threading.Thread | None = None

    @property
    def holder(self) -> str:
        return self.lease.holder

    @property
    def role(self) -> str:
        return "leader" if self.valid() else "standby"

    def valid(self) -> bool:
        """This process leads and its lease certainly holds now."""
        return self.epoch is not None and self._lost is None and self._monotonic() < self._deadline

    def lost(self, reason: str) -> None:
        """A write was refused by the fence: the loop steps down at its next turn (at once: see `run`)."""
        if self.epoch is not None and self._lost is None:
            self._lost = reason
            self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                await self._turn(loop)
                wait = self._renew
                if self.epoch is not None:
                    wait = max(0.0, self._deadline - self._monotonic())
                self._wake.clear()
                stopping = asyncio.ensure_future(stop.wait())
                woken = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait({stopping, woken}, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
                stopping.cancel()
                woken.cancel()
        finally:
            if self.epoch is not None:
                await self._step_down("stopping", release=True)
            await asyncio.to_thread(self.lease.dispose)

    async def _turn(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.epoch is not None:
            if self._lost is not None:
                await self._step_down(self._lost, release=True)
            elif self._monotonic() >= self._deadline:
                await self._step_down("lease not renewed in time", release=False)
            return
        now = self._monotonic()
        if now < self._quiet_until:
            return
        try:
            epoch = await asyncio.wait_for(asyncio.to_thread(self.lease.take), self._renew)
        except Exception as exc:
            log.info("cluster: could not look at the lease (%s)", type(exc).__name__)
            return
        if epoch is None:
            return
        self.epoch, self._lost = epoch, None
        self._deadline = now + self._lease_seconds - self._renew
        self.changes += 1
        log.warning("cluster: %s leads (epoch %d)", self.holder, epoch)
        # renewed on a thread of its own: a leader busy on its loop (a fan-out of thousands of pushes) keeps its
        # lease; one whose database is gone, or that was stopped, does not
        self._renewer = threading.Thread(target=self._renew_loop, args=(epoch, loop), name="lease-renewer",
                                         daemon=True)
        self._renewer.start()
        try:
            await self._on_lead(epoch)
        except Exception:
            log.exception("cluster: taking up the leader's work failed")
            await self._step_down("taking up the leader's work failed", release=True)

    def _renew_loop(self, epoch: int, loop: asyncio.AbstractEventLoop) -> None:
        while self.epoch == epoch and self._lost is None:
            time.sleep(self._renew)
            if self.epoch != epoch:
                return
            sent = self._monotonic()
            try:
                kept = self.lease.renew(epoch)
                reason = "" if kept else "the lease is no longer ours"
            except Exception as exc:  # the connection broke, the statement timed out: step down now
                reason = f"renewing failed ({type(exc).__name__})"
            if self.epoch != epoch:
                return
            if reason:
                self._lost = reason
                loop.call_soon_threadsafe(self._wake.set)
                return
            self._deadline = sent + self._lease_seconds - self._renew

    async def _step_down(self, reason: str, *, release: bool) -> None:
        epoch = self.epoch
        self.epoch = None  # valid() is False from here: no new job, step, claim or send starts
        self.changes += 1
        self._quiet_until = self._monotonic() + self._lease_seconds
        log.warning("cluster: %s steps down (epoch %s): %s", self.holder, epoch, reason)
        try:
            await self._on_step_down(reason)
        except Exception:
            log.exception("cluster: stopping the leader's work failed")
        renewer, self._renewer = self._renewer, None
        if renewer is not None:
            await asyncio.to_thread(renewer.join, self._renew + self._lease_seconds)
        if release and epoch is not None:
            await asyncio.to_thread(self.lease.release, epoch)
        self._lost = None
