"""The leader's work, taken up when an instance becomes leader and dropped when it steps down: the contests'
state and timers, APScheduler, the outbox worker, the inbox and the channels' own tasks (the long connections
that allow one client per bot). Taking up is what a restart does today: contests are read back from the
database (a deadline that passed fires at once), the scheduler runs what is due within its misfire grace.
Dropping is quick and comes first: nothing new starts once `valid()` is False; the channels are stopped last,
each given a few seconds to send what they had already queued (decided while the lease held)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

from bot.cluster import inbox
from bot.cluster.fence import leader_work
from bot.cluster.lease import LEASE_NAME
from bot.jobs.outbox_claims import OutboxClaims

if TYPE_CHECKING:
    from bot.app import App
    from bot.cluster.node import ClusterNode

__all__ = ["LeaderDuties"]

log = logging.getLogger(__name__)

CHANNEL_STOP_SECONDS = 5.0


class LeaderDuties:
    def __init__(self, app: App, node: ClusterNode) -> None:
        self._app, self._node = app, node
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()
        self._channels_up = False
        self.handoffs: list[float] = []  # seconds from a standby taking a message to the leader handling it

    def outbox_claims(self) -> OutboxClaims:
        node = self._node
        return OutboxClaims(holder=node.holder, epoch=lambda: node.leadership.epoch, valid=node.leading,
                            lease=LEASE_NAME, seconds=node.settings.claim_seconds)

    async def start(self, epoch: int) -> None:
        from bot.service import refresh_jobs, tick_timers

        app = self._app
        began = time.monotonic()
        self._stop = asyncio.Event()
        with leader_work():
            app.lead()  # contests read back, due deadlines fired, the jobs made to match the plans
        for channel in app.channels.values():
            await channel.start()
        self._channels_up = True
        app.schedule.jobs.start()
        with leader_work():  # the tasks inherit it: their commits are fenced
            self._tasks = [asyncio.create_task(tick_timers(app, self._stop, gate=self._node.leading)),
                           asyncio.create_task(refresh_jobs(app, self._stop)),
                           asyncio.create_task(self._inbox(self._stop))]
        # the outbox is guarded by its rows' claims instead (a send that happened is recorded even if late)
        self._tasks.append(asyncio.create_task(app.schedule.outbox.run(self._stop)))
        log.warning("cluster: leader's work taken up in %.2f s (epoch %d)", time.monotonic() - began, epoch)

    async def stop(self, reason: str) -> None:
        app = self._app
        self._stop.set()
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        app.schedule.jobs.close()
        app.drop_leader_state()
        if self._channels_up:
            self._channels_up = False
            for channel in reversed(list(app.channels.values())):
                try:
                    await asyncio.wait_for(channel.stop(), CHANNEL_STOP_SECONDS)
                except Exception:
                    log.exception("stopping channel %s failed", channel.name)

    # ----- the inbox -----

    async def _inbox(self, stop: asyncio.Event) -> None:
        poll = self._node.settings.inbox_poll_seconds
        while not stop.is_set():
            handled = 0
            try:
                handled = self.inbox_once()
            except Exception:
                log.exception("inbox: a round failed")
            if handled:
                await asyncio.sleep(0)
                continue
            try:
                await asyncio.wait_for(stop.wait(), poll)
            except TimeoutError:
                pass

    def inbox_once(self, limit: int = 100) -> int:
        """Claim the messages the standbys took, handle them in order, send the replies; how many."""
        node, app = self._node, self._app
        epoch = node.leadership.epoch
        if epoch is None or not node.leading():
            return 0
        with app.db.engine.begin() as conn:
            claimed = inbox.claim(conn, holder=node.holder, epoch=epoch, lease=LEASE_NAME,
                                  seconds=node.settings.claim_seconds, limit=limit)
        finished: list[int] = []
        try:
            for item in claimed:
                with leader_work() as work:
                    replies = app.dispatcher.handle(item.incoming)
                if work.refused or not node.leading():
                    break  # not ours any more: the row is claimed again by the next leader
                app.send(replies)
                finished.append(item.id)
                self.handoffs.append(item.waited)
                log.debug("inbox: %s/%s handled %.3f s after a standby took it", item.incoming.channel,
                          item.incoming.message_id, item.waited)
        finally:
            with app.db.engine.begin() as conn:
                inbox.done(conn, ids=finished, holder=node.holder)
        return len(finished)
