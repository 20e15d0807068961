"""One upgrader at a time. Several processes may start on one database together (instances on PostgreSQL, a
command beside the bot on SQLite); the first to lock upgrades, the others wait, then find the schema up to date.

- SQLite: the database's write lock, taken first (BEGIN IMMEDIATE) on the connection that upgrades, so every
  revision runs in that one transaction (SQLite's DDL is transactional): a failed upgrade leaves the file as it was.
  Foreign keys are off meanwhile, as batch mode needs when it copies a table that others refer to.
- PostgreSQL: a session advisory lock on a connection of its own, out of the pool, so it dies with the process
  (not with a transaction: a revision may commit part-way, e.g. for CREATE INDEX CONCURRENTLY)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine

__all__ = ["one_upgrader", "UPGRADE_LOCK_KEY", "SQLITE_UPGRADE_WAIT"]

log = logging.getLogger(__name__)

UPGRADE_LOCK_KEY = 0x5374_7564_7942_6F74  # "StudyBot" in ASCII: the advisory lock key of schema upgrades
SQLITE_UPGRADE_WAIT = 600  # seconds an upgrade waits for another writer (a long upgrade elsewhere) on SQLite


@contextmanager
def one_upgrader(engine: Engine) -> Iterator[Connection]:
    """A connection on which this process alone may upgrade the schema, until the block ends. On SQLite it is in a
    transaction, committed when the block ends without an error and rolled back otherwise."""
    if engine.dialect.name == "sqlite":
        with _sqlite_write_lock(engine) as conn:
            yield conn
    else:
        with _advisory_lock(engine), engine.connect() as conn:
            yield conn


@contextmanager
def _sqlite_write_lock(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        busy = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: before BEGIN
        conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_UPGRADE_WAIT * 1000}")
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        finally:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.exec_driver_sql(f"PRAGMA busy_timeout={int(busy or 0)}")
            conn.commit()


@contextmanager
def _advisory_lock(engine: Engine) -> Iterator[None]:
    with engine.connect() as holder:
        holder.detach()  # closed for good at the end of the block, and the lock with it: never back in the pool
        taken = holder.exec_driver_sql(f"SELECT pg_try_advisory_lock({UPGRADE_LOCK_KEY})").scalar()
        if not taken:
            log.info("another instance is upgrading the database schema: waiting for it")
            holder.exec_driver_sql(f"SELECT pg_advisory_lock({UPGRADE_LOCK_KEY})")
        holder.commit()
        yield
