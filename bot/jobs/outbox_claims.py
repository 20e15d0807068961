"""Who may send an outbox row, and what is left of a send a process did not live to record: the claims of a
cluster's leader (OutboxClaims), and the note a row takes before it is handed to its channel (Handover), by which
the next sender knows a push that may be in the chat already from one never handed over."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.storage.db import Database
from bot.storage.models import OutboxRow
from bot.storage.outbox import mark_handed, settle_interrupted

__all__ = ["OutboxClaims", "Handover"]

log = logging.getLogger("bot.jobs.outbox_worker")


@dataclass(frozen=True)
class OutboxClaims:
    """Several instances on PostgreSQL: the leader claims each row before sending it (bot/storage/outbox.py
    `claim`), sends only while its lease certainly holds (`valid`), and records an attempt only on a row it
    still holds. Only the leader sends: the rate windows (per chat, per minute) are counted in its memory and
    its channels' lanes, and a WeCom robot has one long connection."""
    holder: str
    epoch: Callable[[], int | None]
    valid: Callable[[], bool]
    lease: str
    seconds: float


class Handover:
    """`hand(row)` before a row goes to its channel; `settle(now)` at each round of the worker."""

    def __init__(self, *, db: Database, channels: Callable[[], dict],
                 claims: Callable[[], OutboxClaims | None]) -> None:
        # the worker's claims, read at each use: joining a cluster sets them after the worker is made
        self._db, self._channels, self._claims = db, channels, claims
        self._settled_at: datetime | None = None  # when interrupted rows were last looked for

    def hand(self, row: OutboxRow, now: datetime) -> bool:
        """The row notes that it is being handed over, committed before it is (False: no longer this sender's
        to send: sent meanwhile, or its claim lapsed)."""
        assert row.id is not None
        claims = self._claims()
        with self._db.session() as session:
            handed = mark_handed(session=session, row_id=row.id, now=now,
                                 holder=claims.holder if claims is not None else None)
            session.commit()
        return handed

    def settle(self, now: datetime) -> int:
        """Rows a gone sender handed over and never recorded end unsure (settle_interrupted); how many. On SQLite
        once, at the first round (this process records every attempt it makes before its next round); in a
        cluster, the leader looks again every half claim lease (a dead sender's rows wait until its claim lapses)."""
        claims = self._claims()
        if claims is None and self._settled_at is not None:
            return 0
        recently = self._settled_at is not None and now - self._settled_at < timedelta(seconds=claims.seconds / 2) \
            if claims is not None else False
        if recently:
            return 0
        epoch = claims.epoch() if claims is not None else None
        if claims is not None and (epoch is None or not claims.valid()):
            return 0
        self._settled_at = now
        channels = list(self._channels())
        with self._db.session() as session:
            if claims is None:
                settled = settle_interrupted(session=session, channels=channels)
            else:
                settled = settle_interrupted(session=session, channels=channels, holder=claims.holder, epoch=epoch,
                                             lease=claims.lease)
            session.commit()
        for key in settled:
            log.error("outbox: push %s was handed to its channel when its sender stopped (killed?) and was never "
                      "recorded; it may have reached the chat, so it is not sent again (unsure)", key)
        return len(settled)
