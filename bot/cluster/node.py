"""One instance's part in a cluster on PostgreSQL: its lease loop, its fence, and what it does with a message
depending on whether it leads (handle it) or stands by (put it in the inbox for the leader)."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from bot.cluster import inbox
from bot.cluster.duties import LeaderDuties
from bot.cluster.fence import Fence, Fenced, Work, leader_work
from bot.cluster.leadership import Leadership
from bot.cluster.lease import Lease
from bot.messages import Incoming, Outgoing
from bot.settings.cluster import ClusterSettings

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["ClusterNode", "join_cluster"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class ClusterNode:
    def __init__(self, app: App, settings: ClusterSettings, url: str) -> None:
        self.settings = settings
        name = settings.instance_name()
        self.holder = f"{name}:{os.getpid()}:{secrets.token_hex(3)}"
        lease = Lease(url, holder=self.holder, lease_seconds=settings.lease_seconds,
                      timeout=settings.renew_seconds, application_name=f"studybot:{name}:lease")
        self.duties = LeaderDuties(app, self)
        self.leadership = Leadership(lease, lease_seconds=settings.lease_seconds,
                                     renew_seconds=settings.renew_seconds, on_lead=self.duties.start,
                                     on_step_down=self.duties.stop)
        self.fence = Fence(self.leadership)
        self._db = app.db

    def leading(self) -> bool:
        return self.leadership.valid()

    @property
    def role(self) -> str:
        return self.leadership.role

    def handle(self, incoming: Incoming, dispatch: Callable[[Incoming], list[Outgoing]]) -> list[Outgoing]:
        """The leader handles a message; a standby (or a leader whose write was just fenced) stores it for the
        leader and has nothing to reply: the leader replies actively."""
        if self.leading():
            with leader_work() as work:
                replies = _fenced(lambda: dispatch(incoming), work)
            if not work.refused and replies is not None:
                return replies
        self.take(incoming)
        return []

    def handle_many(self, incomings: list[Incoming],
                    dispatch_many: Callable[[list[Incoming]], list[list[Outgoing]]]) -> list[list[Outgoing]]:
        """`handle` for the ingress's batch (a few milliseconds' messages in one transaction, bot/ingress.py): the
        leader's batch commit is fenced as a single message's is; refused, or at a standby, the whole batch goes
        to the inbox in one transaction."""
        if self.leading():
            with leader_work() as work:
                many = _fenced(lambda: dispatch_many(incomings), work)
            if not work.refused and many is not None:
                return many
        self.take(*incomings)
        return [[] for _ in incomings]

    def take(self, *incomings: Incoming) -> None:
        with self._db.engine.begin() as conn:
            for incoming in incomings:
                if not inbox.take(conn, incoming, self.holder):
                    log.info("inbox: %s/%s taken before; ignored", incoming.channel, incoming.message_id)


def _fenced(dispatch: Callable[[], T], work: Work) -> T | None:
    """The dispatcher's own recovery from a refused commit (reloading the contests from the database) commits
    too, and is fenced in turn: that refusal ends the work here (the message goes to the inbox; the leadership,
    told by the fence, steps down and drops what memory holds)."""
    try:
        return dispatch()
    except Fenced:
        work.refused = True
        return None


def join_cluster(app: App) -> ClusterNode:
    """Make `app` one instance of a cluster on its PostgreSQL database: its messages, jobs and timers go by the
    lease from here on (start the lease loop with `node.leadership.run`)."""
    node = ClusterNode(app, app.settings.cluster, app.db.engine.url.render_as_string(hide_password=False))
    app.cluster = node
    app.db.commit_check = node.fence.check
    app.schedule.jobs.gate = node.leading
    app.schedule.outbox.claims = node.duties.outbox_claims()
    return node
