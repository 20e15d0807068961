"""The leader's lease: one row of `leader_lease`, taken, renewed and released with single statements on a
connection of its own. The database's clock (`now()`) decides expiry; `epoch` grows by one at every takeover."""

from __future__ import annotations

import logging

from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

__all__ = ["Lease", "LEASE_NAME"]

log = logging.getLogger(__name__)

LEASE_NAME = "studybot"

_TAKE = ("INSERT INTO leader_lease (name, holder, epoch, expires_at, renewed_at) "
         "VALUES (%(name)s, %(holder)s, 1, now() + make_interval(secs => %(lease)s), now()) "
         "ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, epoch = leader_lease.epoch + 1, "
         "expires_at = EXCLUDED.expires_at, renewed_at = EXCLUDED.renewed_at "
         "WHERE leader_lease.expires_at <= now() RETURNING epoch")
_RENEW = ("UPDATE leader_lease SET expires_at = now() + make_interval(secs => %(lease)s), renewed_at = now() "
          "WHERE name = %(name)s AND holder = %(holder)s AND epoch = %(epoch)s AND expires_at > now() RETURNING epoch")
_RELEASE = ("UPDATE leader_lease SET expires_at = now() "
            "WHERE name = %(name)s AND holder = %(holder)s AND epoch = %(epoch)s AND expires_at > now()")
# the fence: inside a leader's write transaction, its lease still holds; FOR SHARE makes a takeover wait for
# this transaction's commit, so no write of an old epoch lands after a new epoch began
FENCE_SQL = ("SELECT 1 FROM leader_lease WHERE name = %(name)s AND holder = %(holder)s AND epoch = %(epoch)s "
             "AND expires_at > now() FOR SHARE")


class Lease:
    """Blocking calls (run them in a thread): each opens its connection again if the last one broke. A statement
    waits at most `timeout` seconds, and for a row lock at most one second (a takeover waiting behind a stopped
    process's open transaction gives up and tries at the next tick)."""

    def __init__(self, url: str, *, holder: str, lease_seconds: float, timeout: float, name: str = LEASE_NAME,
                 application_name: str = "studybot") -> None:
        self.holder, self.name, self._lease = holder, name, lease_seconds
        options = f"-c statement_timeout={int(timeout * 1000)} -c lock_timeout={int(min(timeout, 1.0) * 1000)}"
        self._engine: Engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                                             connect_args={"application_name": application_name,
                                                           "connect_timeout": max(1, int(timeout)),
                                                           "options": options})
        self._conn: Connection | None = None

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self._engine.connect()
        return self._conn

    def _run(self, sql: str, params: dict[str, object]) -> int | None:
        try:
            row = self._connection().exec_driver_sql(sql, params).first()
        except Exception:
            self.close()  # the next call connects again
            raise
        return int(row[0]) if row is not None else None

    def take(self) -> int | None:
        """The new epoch when the lease was free (never taken, or expired), else None."""
        return self._run(_TAKE, {"name": self.name, "holder": self.holder, "lease": self._lease})

    def renew(self, epoch: int) -> bool:
        """False when the lease is no longer ours (expired, or taken by another)."""
        return self._run(_RENEW, {"name": self.name, "holder": self.holder, "epoch": epoch,
                                  "lease": self._lease}) is not None

    def release(self, epoch: int) -> None:
        """Let the lease go now (a clean stop, a step-down), so a standby need not wait for it to expire."""
        try:
            self._connection().exec_driver_sql(_RELEASE, {"name": self.name, "holder": self.holder, "epoch": epoch})
        except Exception as exc:  # it expires on its own
            log.info("cluster: releasing the lease failed (%s); it expires by itself", type(exc).__name__)
            self.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already broken
                pass

    def dispose(self) -> None:
        self.close()
        self._engine.dispose()
