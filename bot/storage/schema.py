"""The schema's revision, read and brought up to date with Alembic (the revisions: bot/storage/migrations/; how to
add one: docs/migrations.md). Every start calls upgrade_schema: a database at this code's newest revision costs one
query; a new or older one is upgraded by one process at a time (bot/storage/schema_lock.py); a database upgraded
by newer code is refused, since this code would read and write tables it does not know the shape of."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

from bot.storage.migrations import HEAD
from bot.storage.migrations.baseline import BASELINE_SCHEMA_VERSION
from bot.storage.migrations.legacy import legacy_version
from bot.storage.schema_lock import one_upgrader

__all__ = ["MIGRATIONS", "SchemaState", "SchemaProblem", "SchemaNewerThanCode", "SchemaUpgradeFailed", "alembic_config",
           "read_schema", "upgrade_schema", "newer_than_code"]

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# Alembic (and Mako under it, ~11 MB of the serving process) is imported only where a database is not already at
# HEAD: every start of an up-to-date database reads alembic_version with one plain query instead (upgrade_schema)

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaProblem(Exception):
    """The schema stops this code from using the database; the message says why, in Chinese."""


class SchemaNewerThanCode(SchemaProblem):
    """The database was upgraded by a newer studybot."""


class SchemaUpgradeFailed(SchemaProblem):
    """A revision failed; its changes were rolled back (the log has the traceback)."""


@dataclass(frozen=True)
class SchemaState:
    revisions: tuple[str, ...]  # alembic_version's rows: () before the first revision
    head: str  # this code's newest revision
    legacy_version: int | None  # a database from before Alembic: its schema_version (None: not one)
    unknown: tuple[str, ...]  # revisions no script of this code describes: written by newer code
    pending: tuple[tuple[str, str], ...]  # (revision, what it does) still to run, oldest first

    @property
    def up_to_date(self) -> bool:
        return self.revisions == (self.head,)

    @property
    def empty(self) -> bool:
        return not self.revisions and self.legacy_version is None

    def refusal(self) -> str | None:
        """Why this code must not use the database (Chinese), or None."""
        if not self.unknown:
            return None
        return (f"数据库的结构版本是 {'、'.join(self.unknown)}，本程序只认识到 {self.head}：数据库已由更新版本的 "
                "studybot 升级过。请把本程序升级到与数据库相同或更新的版本后再启动：本程序不认识新的结构，继续运行"
                "可能读错或写坏数据。")


def alembic_config(connection: Connection | None = None, migrations: Path = MIGRATIONS) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts(migrations: Path) -> ScriptDirectory:
    """The revisions a directory holds: read once per process (they are files of the installed code)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(migrations=migrations))


def read_schema(conn: Connection, migrations: Path = MIGRATIONS) -> SchemaState:
    from alembic.runtime.migration import MigrationContext

    scripts = _scripts(migrations)
    head = scripts.get_current_head()
    assert head is not None, f"no revision in {migrations}"
    revisions = tuple(MigrationContext.configure(conn).get_current_heads())
    unknown = tuple(revision for revision in revisions if not _known(scripts, revision))
    legacy = legacy_version(conn) if not revisions else None
    if legacy is not None and legacy > BASELINE_SCHEMA_VERSION:  # a build from before Alembic newer than 0001
        unknown = (f"schema_version {legacy}",)
    pending: tuple[tuple[str, str], ...] = ()
    if not unknown:
        lower = revisions[0] if revisions else "base"
        pending = tuple((script.revision, (script.doc or "").strip())
                        for script in reversed(list(scripts.iterate_revisions(head, lower))))
    return SchemaState(revisions, head, legacy, unknown, pending)


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    from alembic.util import CommandError

    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False


def newer_than_code(revisions: list[str], legacy_version: int | None) -> tuple[list[str], str]:
    """Of a database's revisions (or, with none, its schema_version from before Alembic), those this code has no
    script for, and this code's newest revision: for a file that is not opened through an engine (a backup)."""
    scripts = _scripts(MIGRATIONS)
    unknown = [revision for revision in revisions if not _known(scripts, revision)]
    if not revisions and legacy_version is not None and legacy_version > BASELINE_SCHEMA_VERSION:
        unknown = [f"schema_version {legacy_version}"]
    return unknown, scripts.get_current_head() or ""


def upgrade_schema(engine: Engine, migrations: Path = MIGRATIONS) -> tuple[SchemaState, SchemaState]:
    """Bring the database to this code's newest revision (a new database: made whole); the state before and after.
    Raises SchemaNewerThanCode for a database upgraded by newer code, SchemaUpgradeFailed when a revision fails."""
    with engine.connect() as conn:
        if migrations == MIGRATIONS and _at_head(conn):
            current = SchemaState((HEAD,), HEAD, None, (), ())
            return current, current
        before = read_schema(conn, migrations)
    _refuse(before)
    if before.up_to_date:
        return before, before
    with one_upgrader(engine) as conn:
        before = read_schema(conn, migrations)  # another process may have done it while this one waited
        _refuse(before)
        if not before.up_to_date:
            log.info("upgrading the database schema from %s to %s", _said(before), before.head)
            _upgrade(conn, migrations, before.head)
        after = read_schema(conn, migrations)
    return before, after


def _at_head(conn: Connection) -> bool:
    """Whether alembic_version holds this code's newest revision alone: one query, no Alembic."""
    if not inspect(conn).has_table("alembic_version"):
        return False
    rows = [row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")]
    conn.rollback()
    return rows == [HEAD]


def _upgrade(conn: Connection, migrations: Path, head: str) -> None:
    from alembic import command

    if conn.dialect.name != "sqlite":
        conn.commit()  # Alembic runs every revision in one transaction of its own (DDL is transactional)
    try:
        command.upgrade(alembic_config(conn, migrations), "head")
    except Exception as exc:  # a revision's own error, whatever it is: the transaction is rolled back
        log.exception("upgrading the database schema to %s failed", head)
        reason = (str(getattr(exc, "orig", None) or exc).strip() or type(exc).__name__).splitlines()[0]
        raise SchemaUpgradeFailed(f"数据库结构升级到 {head} 失败（{reason}），本次升级的改动已撤销，数据库仍是升级前"
                                  "的样子。详细原因见日志，请报告给维护人员。") from exc


def _said(state: SchemaState) -> str:
    if state.legacy_version is not None:
        return f"schema_version {state.legacy_version} (before Alembic)"
    return ",".join(state.revisions) or "an empty database"


def _refuse(state: SchemaState) -> None:
    refusal = state.refusal()
    if refusal is not None:
        raise SchemaNewerThanCode(refusal)
