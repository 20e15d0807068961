"""Engine creation, SQLite tuning and automatic schema creation/upgrade."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlmodel import Session, SQLModel, create_engine, select

from bot.storage import cards_sent, metered, models, models_points, models_web
from bot.storage import models_records as records
from bot.storage.append_only import guard_ledger
from bot.storage.branch_columns import branch_columns, follow_moves
from bot.storage.checked import CheckedSession, CommitCheck
from bot.storage.checkpointer import Checkpointer
from bot.storage.dashboard import ensure_activity_indexes
from bot.storage.meeting_bulk import ensure_roster_index
from bot.storage.models import SchemaVersion
from bot.storage.upgrade_cluster import CLUSTER_TABLES, cluster_tables
from bot.storage.upgrade_points import points_categories
from safeio.oserrors import os_reason

__all__ = ["Database", "DatabaseUnavailable", "SCHEMA_VERSION", "is_busy"]

log = logging.getLogger(__name__)


def _bank_state(engine: Engine) -> None:
    """2: a stored bank is live, staging (an import writing out of sight) or retired (replaced)."""
    if "state" not in {column["name"] for column in inspect(engine).get_columns("bank")}:
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE bank ADD COLUMN state VARCHAR(10) NOT NULL DEFAULT 'live'")
            conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_bank_state ON bank (state)")


def _outbox_unconfirmed(engine: Engine) -> None:
    """3: the outbox counts the attempts that may have reached the chat unanswered (a push is sent
    again after at most one of them)."""
    if "unconfirmed" not in {column["name"] for column in inspect(engine).get_columns("outbox")}:
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE outbox ADD COLUMN unconfirmed INTEGER NOT NULL DEFAULT 0")


def _contest_kinds(engine: Engine) -> None:
    """4: members put in a branch by a roster (whom a question waits for), practice contests (练习赛, no
    points) and the 全委竞赛's rounds (the contest_round table itself is made by create_all). A member of a
    database from before is not known to be on a roster until the roster is imported again: until then
    questions close at their deadline, never early."""
    inspector = inspect(engine)
    members = {column["name"] for column in inspector.get_columns("member")}
    contests = {column["name"] for column in inspector.get_columns("contest")}
    false, true = ("false", "true") if engine.dialect.name == "postgresql" else ("0", "1")
    with engine.begin() as conn:
        if "rostered" not in members:
            conn.exec_driver_sql(f"ALTER TABLE member ADD COLUMN rostered BOOLEAN NOT NULL DEFAULT {false}")
        if "scored" not in contests:
            conn.exec_driver_sql(f"ALTER TABLE contest ADD COLUMN scored BOOLEAN NOT NULL DEFAULT {true}")
        if "settled" not in contests:
            conn.exec_driver_sql("ALTER TABLE contest ADD COLUMN settled INTEGER")
        if "round_id" not in contests:
            conn.exec_driver_sql("ALTER TABLE contest ADD COLUMN round_id INTEGER REFERENCES contest_round (id)")
            conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_contest_round_id ON contest (round_id)")


def _metered_and_cards(engine: Engine) -> None:
    """5: metered API calls per day (DingTalk's monthly quota) and the question cards sent (a tap after a
    restart finds its group); new tables only, made where missing."""
    SQLModel.metadata.create_all(engine, tables=[metered.MeteredCall.__table__,  # type: ignore[list-item]
                                                 cards_sent.CardSent.__table__])  # type: ignore[list-item]


def _meeting_records(engine: Engine) -> None:
    """6: the 三会一课 records: members' 党员类别, 支部职务 and 党小组; a 党小组会's 小组; attendance with a status
    (出席, 请假, 列席) and who recorded it; and new tables for the expected attendees, the audit trail and the
    minutes. Members from before have no category ("" counts as 党员) until the roster is imported again."""
    inspector = inspect(engine)
    members = {column["name"] for column in inspector.get_columns("member")}
    meetings = {column["name"] for column in inspector.get_columns("meeting")}
    attendance = {column["name"] for column in inspector.get_columns("attendance")}
    with engine.begin() as conn:
        for column, size in (("category", 20), ("position", 30), ("party_group", 100)):
            if column not in members:
                conn.exec_driver_sql(f"ALTER TABLE member ADD COLUMN {column} VARCHAR({size}) NOT NULL DEFAULT ''")
        if "party_group" not in meetings:
            conn.exec_driver_sql("ALTER TABLE meeting ADD COLUMN party_group VARCHAR(100) NOT NULL DEFAULT ''")
        if "status" not in attendance:
            conn.exec_driver_sql("ALTER TABLE attendance ADD COLUMN status VARCHAR(20) NOT NULL DEFAULT 'present'")
        for column, size in (("reason", 500), ("recorded_by", 100)):
            if column not in attendance:
                conn.exec_driver_sql(f"ALTER TABLE attendance ADD COLUMN {column} VARCHAR({size}) NOT NULL DEFAULT ''")
    SQLModel.metadata.create_all(engine, tables=[records.ExpectedAttendee.__table__,  # type: ignore[list-item]
                                                 records.AttendanceChange.__table__,  # type: ignore[list-item]
                                                 records.MinutesRow.__table__,  # type: ignore[list-item]
                                                 records.MinutesDraft.__table__])  # type: ignore[list-item]


def _question_source(engine: Engine) -> None:
    """7: an imported question's 出处 (source). Checked for, like every step, so that renumbering it when another
    branch's step lands first is harmless."""
    if "source" not in {column["name"] for column in inspect(engine).get_columns("bank_question")}:
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE bank_question ADD COLUMN source VARCHAR NOT NULL DEFAULT ''")


def _web_tables(engine: Engine) -> None:
    """9: the dashboard's login links, audit trail and signing key; new tables only, made where missing."""
    SQLModel.metadata.create_all(engine, tables=[getattr(models_web, name).__table__ for name in models_web.__all__])


# Each step upgrades the schema from version N-1 to N; create_all() makes new tables and columns of new
# databases, so each step checks what is there.
_UPGRADES: dict[int, Callable[[Engine], None]] = {2: _bank_state, 3: _outbox_unconfirmed, 4: _contest_kinds,
                                                  5: _metered_and_cards, 6: _meeting_records, 7: points_categories,
                                                  8: _question_source, 9: _web_tables, 10: branch_columns,
                                                  11: cluster_tables}
SCHEMA_VERSION = 11


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
        """Create missing tables and run pending upgrades; safe to call at every start."""
        try:
            self._create_schema()
        except OperationalError as exc:
            raise DatabaseUnavailable(f"无法打开数据库 {self.url}：{exc.orig}") from None

    def _create_schema(self) -> None:
        had_tables = inspect(self.engine).has_table("schema_version")
        SQLModel.metadata.create_all(self.engine, tables=[t for t in SQLModel.metadata.sorted_tables
                                                          if t.name in _table_names()])
        with self.session() as session:
            row = session.get(SchemaVersion, 1)
            current = row.version if row else (SCHEMA_VERSION if not had_tables else 1)
            for version in range(current + 1, SCHEMA_VERSION + 1):
                log.info("upgrading database schema to version %d", version)
                _UPGRADES[version](self.engine)
            if row is None:
                session.add(SchemaVersion(id=1, version=SCHEMA_VERSION))
            else:
                row.version = SCHEMA_VERSION
            session.commit()
        guard_ledger(self.engine)
        ensure_roster_index(self.engine)
        ensure_activity_indexes(self.engine)

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

    def schema_version(self) -> int:
        with self.session() as session:
            row = session.exec(select(SchemaVersion)).first()
            return row.version if row else 0

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


def _table_names() -> set[str]:
    tables = [*(getattr(models, name) for name in models.__all__),
              *(getattr(records, name) for name in records.__all__),
              *(getattr(models_points, name) for name in models_points.__all__),
              *(getattr(models_web, name) for name in models_web.__all__)]
    named = {table.__tablename__ for table in tables if hasattr(table, "__tablename__")}
    return named | {"metered_call", "card_sent", *CLUSTER_TABLES}
