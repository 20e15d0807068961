"""Engine creation, SQLite tuning, and the schema made or upgraded at start (bot/storage/schema.py)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlmodel import Session, create_engine

from bot.storage.branch_columns import follow_moves
from bot.storage.checked import CheckedSession, CommitCheck
from bot.storage.checkpointer import Checkpointer
from bot.storage.schema import SchemaProblem, SchemaState, read_schema, upgrade_schema
from safeio.oserrors import os_reason

__all__ = ["Database", "DatabaseUnavailable", "is_busy"]

log = logging.getLogger(__name__)


def _tuner(busy_timeout: float) -> Callable[[Any, Any], None]:
    def tune(dbapi_connection: Any, _record: Any) -> None:
        _tune_sqlite(dbapi_connection, busy_timeout)
    return tune


def _tune_sqlite(dbapi_connection: Any, busy_timeout: float) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the dashboard and CLI read while the bot writes; NORMAL keeps commits
    # durable across a process crash without an fsync per answer.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
    # a bigger page cache and memory-mapped reads keep the hot indexes (answers, ledger, totals) off the syscall path
    cursor.execute("PRAGMA cache_size=-32000")
    cursor.execute("PRAGMA mmap_size=268435456")
    # Checkpoints run on the Checkpointer's thread, off the path of answers; this is only
    # the backstop should that thread fall behind.
    cursor.execute("PRAGMA wal_autocheckpoint=20000")
    cursor.close()


# PostgreSQL's "try again": serialization failure, deadlock detected, lock not available
_PG_BUSY = {"40001", "40P01", "55P03"}


def is_busy(error: OperationalError) -> bool:
    """The database was busy with another writer (SQLite's lock, PostgreSQL's serialization and lock
    failures): the same work may simply be tried again, unlike a database that is gone or broken."""
    original = error.orig
    if getattr(original, "sqlstate", None) in _PG_BUSY:
        return True
    text = str(original).lower()
    return "database is locked" in text or "database table is locked" in text or "database is busy" in text


class DatabaseUnavailable(Exception):
    """The database named by database.url cannot be used; the message says why, in Chinese."""


_SUPPORTED = ("sqlite", "postgresql")


def _engine(url: str, pg_connect_args: dict[str, Any]) -> tuple[Engine, bool]:
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        if backend not in _SUPPORTED:  # MySQL, SQL Server, Oracle…: not a missing PostgreSQL driver
            raise DatabaseUnavailable(f"database.url 的数据库「{backend}」不支持：studybot 支持 SQLite（如 "
                                      "sqlite:///data/studybot.db）和 PostgreSQL（如 postgresql+psycopg://用户@主机/库名）")
        is_sqlite = backend == "sqlite"
        if is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if is_sqlite:
            # LIFO: the same pooled connection keeps serving, so its page cache stays warm
            return create_engine(url, connect_args={"check_same_thread": False}, pool_use_lifo=True), True
        return create_engine(url, pool_pre_ping=True, connect_args=pg_connect_args), False
    except ArgumentError:
        raise DatabaseUnavailable("database.url 不是有效的数据库地址，应形如 sqlite:///data/studybot.db "
                                  "或 postgresql+psycopg://用户@主机/库名") from None
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseUnavailable(f"database.url 需要的数据库驱动没有安装（{exc}）。PostgreSQL 请先运行："
                                  "pip install -e \".[postgres]\"") from None
    except OSError as exc:
        raise DatabaseUnavailable(f"无法创建数据库目录 {exc.filename}：{os_reason(exc)}") from None


class Database:
    """`busy_timeout`: seconds a statement waits for another writer's lock before it fails (SQLite; the
    dispatcher then tries the message again, see bot/dispatcher.py)."""

    def __init__(self, url: str, *, busy_timeout: float = 5.0, pg_connect_args: dict[str, Any] | None = None) -> None:
        self.engine, self.is_sqlite = _engine(url, pg_connect_args or {})
        parsed = make_url(url)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _tuner(busy_timeout))
        self.url = parsed.render_as_string(hide_password=True)
        self._checkpointer: Checkpointer | None = None
        self._kept = threading.local()
        follow_moves()
        self.commit_check: CommitCheck | None = None  # several instances: the fence on the leader's writes

    def create_schema(self) -> None:
        """Make the schema in a new database or upgrade it to this code's newest revision (bot/storage/schema.py);
        safe and cheap at every start. A database upgraded by newer code, or a failed upgrade: DatabaseUnavailable."""
        try:
            upgrade_schema(self.engine)
        except SchemaProblem as exc:
            raise DatabaseUnavailable(str(exc)) from None
        except OperationalError as exc:
            raise DatabaseUnavailable(f"无法打开数据库 {self.url}：{exc.orig}") from None

    def schema(self) -> SchemaState:
        """Which revision the database is at, against this code's newest (changes nothing)."""
        with self.engine.connect() as conn:
            return read_schema(conn)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._session(self.engine) as session:
            yield session

    @contextmanager
    def message_session(self) -> Iterator[Session]:
        """A session for one incoming message, on a connection this thread keeps between messages:
        checking a connection out of the pool and back costs about a sixth of an answer
        (bench/answers.py). The session begins and commits (or rolls back) its own transaction,
        so nothing is left open between messages."""
        conn = getattr(self._kept, "conn", None)
        if conn is None or conn.closed or conn.invalidated:
            conn = self._kept.conn = self.engine.connect()
        try:
            with self._session(conn) as session:
                yield session
        except BaseException:
            if conn.in_transaction():
                conn.rollback()
            raise

    def _session(self, bind: Any) -> Session:
        if self.commit_check is None:
            return Session(bind, expire_on_commit=False)
        session = CheckedSession(bind, expire_on_commit=False)
        session.check = self.commit_check
        return session

    def start_checkpointer(self, interval: float = 1.0) -> None:
        """Copy the WAL back into the database every `interval` seconds on a thread of its own.
        Left to SQLite, the commit that crosses the threshold does it and waits for the
        fsync: a 5-10 ms stall for one unlucky answer (seen in bench/answers.py)."""
        if self.is_sqlite and self._checkpointer is None:
            self._checkpointer = Checkpointer(self.engine, interval)
            self._checkpointer.start()

    def dispose(self) -> None:
        kept = getattr(self._kept, "conn", None)
        if kept is not None:
            kept.close()
            self._kept.conn = None
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        self.engine.dispose()
