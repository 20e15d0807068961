"""`studybot db current` and `studybot db upgrade`: which revision of the schema the database is at, and bringing it
to this program's newest (bot/storage/schema.py; every start does the same on its own)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.exc import OperationalError

from bot.cli.common import ConfigOption, fail, require_database, settings_from
from bot.storage.db import Database, DatabaseUnavailable
from bot.storage.schema import SchemaProblem, SchemaState, upgrade_schema

__all__ = ["current", "upgrade"]

UP_TO_DATE, BEHIND, UNUSABLE = 0, 1, 2  # the exit codes of `db current`


def current(config: ConfigOption = None) -> None:
    """显示数据库的结构版本和本程序的最新版本（不做任何修改）。
    退出码：0 已是最新，1 需要升级，2 数据库比本程序新或无法打开。"""
    with _database(config) as db:
        state = _read(db)
    typer.echo(f"数据库：{db.url}")
    typer.echo(f"结构版本：{_where(state)}")
    if state.up_to_date:
        raise typer.Exit(UP_TO_DATE)
    if state.refusal():
        typer.echo(state.refusal())
        raise typer.Exit(UNUSABLE)
    typer.echo(f"本程序的最新版本：{state.head}")
    typer.echo(f"待升级：{'、'.join(revision for revision, _ in state.pending)}（共 {len(state.pending)} 步）")
    typer.echo("运行 studybot db upgrade 升级；启动 studybot run 时也会先自动升级。")
    raise typer.Exit(BEHIND)


def upgrade(config: ConfigOption = None) -> None:
    """把数据库结构升级到本程序的最新版本，保留全部数据（studybot run 启动时也会自动升级）。
    几台机器共用一个 PostgreSQL 时，同一时刻只有一个进程在升级，其余等它完成。"""
    with _database(config) as db:
        state = _read(db)
        if not state.up_to_date and not state.refusal():
            typer.echo(f"正在升级数据库结构：{_where(state)} → {state.head} ……")
        try:
            before, after = upgrade_schema(db.engine)
        except SchemaProblem as exc:
            raise fail(str(exc)) from None
        except OperationalError as exc:
            raise fail(f"无法打开数据库 {db.url}：{exc.orig}") from None
    if before.up_to_date:
        typer.echo(f"数据库结构已是最新版本 {after.head}，无需升级。")
    elif before.empty:
        typer.echo(f"已在空数据库中建好结构 {after.head}。")
    else:
        typer.echo(f"已升级：{_where(before)} → {after.head}，数据全部保留。")


@contextmanager
def _database(config: ConfigOption) -> Iterator[Database]:
    settings = settings_from(config)
    require_database(settings)  # a mistyped SQLite path is not made into a new, empty database
    try:
        db = Database(settings.database.url, busy_timeout=settings.database.busy_timeout)
    except DatabaseUnavailable as exc:
        raise fail(f"数据库不可用：{exc}") from None
    try:
        yield db
    finally:
        db.dispose()


def _read(db: Database) -> SchemaState:
    try:
        return db.schema()
    except OperationalError as exc:
        raise fail(f"无法打开数据库 {db.url}：{exc.orig}") from None


def _where(state: SchemaState) -> str:
    """The database's revision, in words."""
    if state.unknown:
        return f"{'、'.join(state.unknown)}（比本程序新）"
    if state.legacy_version is not None:
        return f"旧式版本号 {state.legacy_version}（schema_version，早于 0001）"
    if state.empty:
        return "空数据库（尚未建表）"
    return f"{'、'.join(state.revisions)}{'（最新）' if state.up_to_date else ''}"
