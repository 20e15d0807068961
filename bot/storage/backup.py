"""Copying a SQLite database while the bot runs (`studybot db backup`) and back into an empty one (`db restore`),
with SQLite's online backup API (Python's sqlite3 `Connection.backup`; SQLAlchemy does not wrap it).

The copy goes a few megabytes at a time, so a progress bar can move, inside one read transaction held on the source
for the whole copy: in WAL mode that transaction is a snapshot the bot's commits do not disturb (they go on into the
WAL beside it). Without it, SQLite restarts a step-wise backup whenever another connection writes, and a busy contest
would keep it from ever finishing. The copy is switched out of WAL mode, so the backup is one self-contained file.

A restore writes through the backup API into the target's own connection: one transaction, committed at the end,
so a restore that fails half way leaves the target as it was."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bot.storage.schema import newer_than_code

__all__ = ["Copied", "NotABackup", "NotEmpty", "back_up", "restore", "page_count", "STEP_PAGES"]

STEP_PAGES = 1024  # 4 MB a step at SQLite's default page size
# what a database new from `studybot run` already holds: the schema's version, the job store (made again from
# studybot.yaml at every start), the dashboard's session key
BOOKKEEPING = frozenset({"schema_version", "alembic_version", "apscheduler_jobs", "web_key"})
# tables only studybot has: a backup without them is some other program's database
STUDYBOT_TABLES = ("member", "contest", "contest_answer", "points_ledger")
MAGIC = b"SQLite format 3\x00"

Progress = Callable[[int, int], None]  # (pages done, pages in all)


@dataclass(frozen=True)
class Copied:
    size: int  # bytes of the written file
    counts: dict[str, int]  # rows per table


class NotABackup(Exception):
    """The file is not a studybot backup, or is damaged; the message says which, in Chinese."""


class NotEmpty(Exception):
    """The restore's target holds data already: `counts`, the rows of each table that has some."""

    def __init__(self, counts: dict[str, int]) -> None:
        super().__init__(f"target holds data: {counts}")
        self.counts = counts


def page_count(path: Path) -> int:
    with _connection(path) as conn:
        return int(conn.execute("PRAGMA page_count").fetchone()[0])


def back_up(source: Path, target: Path, progress: Progress | None = None) -> Copied:
    """Copy the database at `source` (in use or not) into `target`, a new empty file; check the copy."""
    with _connection(source) as src, _connection(target) as dst:
        src.execute("BEGIN")  # the snapshot: see the module's note
        src.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        try:
            src.backup(dst, pages=STEP_PAGES, progress=_reporter(progress))
        finally:
            src.execute("ROLLBACK")
        dst.execute("PRAGMA journal_mode=DELETE")
        counts = _checked(dst, "副本")
    return Copied(target.stat().st_size, counts)


def restore(backup: Path, target: Path, progress: Progress | None = None) -> Copied:
    """Copy the studybot backup at `backup` into the database at `target`, which must hold no data (or not exist).
    NotABackup, NotEmpty; sqlite3.Error when the target cannot be written."""
    _check_backup(backup)
    created = not target.exists()
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with _connection(backup) as src, _connection(target) as dst:
            if not created and (held := _data(dst)):
                raise NotEmpty(held)
            src.backup(dst, pages=STEP_PAGES, progress=_reporter(progress))
            counts = _checked(dst, "恢复后的数据库")
    except BaseException:
        if created:  # nothing was there before: nothing half made is left behind either
            for leftover in (target, target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
                with contextlib.suppress(OSError):
                    leftover.unlink()
        raise
    return Copied(target.stat().st_size, counts)


def _check_backup(path: Path) -> None:
    with path.open("rb") as file:  # OSError: the caller says what the system said
        head = file.read(len(MAGIC))
    if head != MAGIC:
        raise NotABackup("不是 SQLite 数据库文件")
    try:
        with _connection(path) as conn:
            conn.execute("PRAGMA query_only=1")
            _integrity(conn, "备份文件")
            tables = _tables(conn)
            missing = [name for name in STUDYBOT_TABLES if name not in tables]
            if missing:
                raise NotABackup(f"其中没有 studybot 的数据表（缺少 {'、'.join(missing)}）")
            revisions = [r for (r,) in conn.execute("SELECT version_num FROM alembic_version")] if (
                "alembic_version" in tables) else []
            legacy = conn.execute("SELECT version FROM schema_version").fetchone() if (
                "schema_version" in tables) else None
            unknown, head = newer_than_code(revisions, int(legacy[0]) if legacy else None)
            if unknown:
                raise NotABackup(f"它来自较新版本的 studybot（数据库结构版本 {'、'.join(unknown)}，这个版本只认识到 "
                                 f"{head}），请先升级 studybot")
    except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed"
        raise NotABackup(f"文件已损坏（{exc}）") from None


def _checked(conn: sqlite3.Connection, what: str) -> dict[str, int]:
    _integrity(conn, what)
    return {name: _count(conn, name) for name in sorted(_tables(conn))}


def _integrity(conn: sqlite3.Connection, what: str) -> None:
    found = [row[0] for row in conn.execute("PRAGMA integrity_check(20)")]
    if found != ["ok"]:
        raise NotABackup(f"{what}未通过完整性检查：{'；'.join(found[:3])}")


def _data(conn: sqlite3.Connection) -> dict[str, int]:
    counts = {name: _count(conn, name) for name in sorted(_tables(conn) - BOOKKEEPING)}
    return {name: count for name, count in counts.items() if count}


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    return {name for (name,) in rows}


def _count(conn: sqlite3.Connection, table: str) -> int:
    quoted = table.replace('"', '""')
    return int(conn.execute(f'SELECT COUNT(*) FROM "{quoted}"').fetchone()[0])


def _reporter(progress: Progress | None) -> Callable[[int, int, int], None] | None:
    if progress is None:
        return None
    return lambda _status, remaining, total: progress(total - remaining, total)


@contextlib.contextmanager
def _connection(path: Path) -> Iterator[sqlite3.Connection]:
    """Autocommit (transactions are begun by hand), waiting up to 30 s for another writer's lock."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()
