"""SQLite's WAL copied back into the database on a thread of its own, off the path of answers."""

from __future__ import annotations

import logging
import threading

from sqlalchemy.engine import Engine

__all__ = ["Checkpointer"]

log = logging.getLogger(__name__)


class Checkpointer(threading.Thread):
    def __init__(self, engine: Engine, interval: float) -> None:
        super().__init__(name="sqlite-checkpoint", daemon=True)
        self._engine, self._interval = engine, interval
        self._stopping = threading.Event()

    def run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                with self._engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # a failed checkpoint is retried next round; SQLite's backstop remains
                log.warning("WAL checkpoint failed", exc_info=True)

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=5)
