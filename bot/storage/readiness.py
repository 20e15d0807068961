"""Whether the database answers, for /readyz: one small query through the app's own engine (what the bot itself would
meet: its pool, its driver), on a thread of its own, within a timeout.

A database that hangs (a PostgreSQL server behind a dropped route, where connecting waits for TCP to give up) holds
that thread until the driver gives up; a probe asked for meanwhile does not start another thread but is told the
last one has not come back yet, so a load balancer asking every second cannot pile up threads. The thread is a
daemon: a hung probe never keeps the process from exiting."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading

from sqlalchemy.exc import SQLAlchemyError

from bot.storage.db import Database

__all__ = ["ReadinessProbe", "READY_TIMEOUT"]

READY_TIMEOUT = 2.0  # seconds: a load balancer's own timeout is usually a few seconds


class ReadinessProbe:
    def __init__(self, db: Database, timeout: float = READY_TIMEOUT) -> None:
        self._db, self._timeout = db, timeout
        self._pending: concurrent.futures.Future[None] | None = None
        self._guard = threading.Lock()

    async def problem(self) -> str | None:
        """None when the database answered within the timeout, else why not (Chinese, for whoever reads /readyz)."""
        with self._guard:
            if self._pending is not None and not self._pending.done():
                return f"数据库对上一次检查仍未响应（超过 {self._timeout:g} 秒）"
            pending = self._pending = concurrent.futures.Future()
            pending.set_running_or_notify_cancel()  # running: a request that gives up cannot cancel it
            threading.Thread(target=self._ask, args=(pending,), name="readyz-probe", daemon=True).start()
        try:
            await asyncio.wait_for(asyncio.wrap_future(pending), self._timeout)
        except TimeoutError:
            return f"数据库 {self._timeout:g} 秒内没有响应"
        except SQLAlchemyError as exc:
            return f"数据库不可用：{_first_line(exc)}"
        return None

    def _ask(self, pending: concurrent.futures.Future[None]) -> None:
        try:
            with self._db.engine.connect() as conn:  # a real table: SQLite would answer SELECT 1 with no file at all
                conn.exec_driver_sql("SELECT 1 FROM member LIMIT 1").all()
        except BaseException as exc:  # handed to the waiting request, which says what it was
            pending.set_exception(exc)
        else:
            pending.set_result(None)


def _first_line(exc: SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None) or exc
    text = str(original).strip().splitlines()
    return text[0][:300] if text else type(original).__name__
