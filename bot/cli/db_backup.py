"""`studybot db backup FILE` and `studybot db restore FILE` (the copying itself: bot/storage/backup.py).

SQLite: backup copies the database while the bot runs, into a file put in place only once it is whole and checked;
restore copies a backup into the configured database, which must hold no data, while no bot runs on it.

PostgreSQL: both print how to do it with pg_dump / pg_restore, which know PostgreSQL better than we could (roles,
large databases, parallel jobs), and exit 2: nothing was written, so a script that goes on to copy FILE away
(`studybot db backup f && …`) stops instead of carrying off a file that is not there."""

from __future__ import annotations

import shlex
import sqlite3
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import URL, make_url

from bot.cli.common import ConfigOption, clock_of, fail, progress_bar, require_database, settings_from
from bot.cli.output import ForceOption, refuse_existing
from bot.cli.single_bot import one_bot_per_database
from bot.storage.backup import Copied, NotABackup, NotEmpty, back_up, page_count, restore
from bot.storage.sqlite_file import sqlite_file
from safeio.files import replace_file
from safeio.oserrors import os_reason

__all__ = ["backup_command", "restore_command"]

# the tables a committee would look for, in the words they use; the others are counted in 「共 N 张表」
RESTORED = "studybot_restored"  # the new database's name in the pg_restore example
LABELS = {"branch": "支部", "member": "成员", "contest": "竞赛", "contest_answer": "答题", "points_ledger": "积分记录",
          "meeting": "会议", "attendance": "签到", "outbox": "推送", "bank_question": "导入的题目"}


def backup_command(
    file: Annotated[Path, typer.Argument(help="备份写到哪个文件，如 备份/studybot-2026-03-02.db")],
    force: ForceOption = False,
    config: ConfigOption = None,
) -> None:
    """备份数据库（SQLite：机器人运行时也可以备份，写完并检查无误后才放到 FILE；PostgreSQL：说明如何用 pg_dump）。"""
    settings = settings_from(config)
    source = _sqlite_or_explain(settings.database.url, file, backing_up=True)
    require_database(settings)
    refuse_existing(file, force)
    if file.resolve() == source.resolve():
        raise fail(f"备份文件不能就是数据库本身（{source}）：请写出另一个文件名", 1)
    with progress_bar(page_count(source), "备份数据库") as progress:
        try:
            copied = replace_file(file, lambda temporary: back_up(source, temporary, progress))
        except OSError as exc:
            raise fail(f"无法写入 {file}：{os_reason(exc, writing=True)}", 1) from None
        except NotABackup as exc:
            raise fail(f"备份未完成：{exc}。{file} 没有写入；数据库本身可用 studybot doctor 检查", 1) from None
        except sqlite3.Error as exc:
            raise fail(f"备份未完成：{exc}（{file} 没有写入）", 1) from None
    typer.echo(f"已备份到 {file}（{_size(copied.size)}，完整性检查通过）：{_figures(copied)}。")


def restore_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="studybot db backup 写出的备份文件")],
    config: ConfigOption = None,
) -> None:
    """把备份恢复到配置的数据库（database.url）：它必须是空的（或还不存在），且没有 studybot run 在使用它。"""
    settings = settings_from(config)
    target = _sqlite_or_explain(settings.database.url, file, backing_up=False)
    if not file.is_file():
        raise fail(f"找不到备份文件 {file}" if not file.exists() else f"{file} 不是文件", 1)
    if target.exists() and file.resolve() == target.resolve():
        raise fail(f"备份文件就是要恢复到的数据库本身（{target}）：请在配置中把 database.url 指向一个新文件", 1)
    with one_bot_per_database(settings.database.url, clock_of(ctx).now(), restoring=True):
        try:
            total = page_count(file)
        except sqlite3.Error:
            total = 0  # not a database at all: restore() says so below
        with progress_bar(total, "恢复数据库") as progress:
            try:
                copied = restore(file, target, progress)
            except NotABackup as exc:
                raise fail(f"{file} 不是可用的 studybot 备份：{exc}。数据库 {target} 没有改动", 1) from None
            except NotEmpty as exc:
                held = _held(exc.counts)
                raise fail(f"数据库 {target} 里已有数据（{held}），没有恢复：恢复只写入空数据库，不与现有数据合并。"
                           "请在配置中把 database.url 指向一个新文件，或先把现有数据库移走"
                           "（移走前可用 studybot db backup 另存一份）", 1) from None
            except OSError as exc:
                raise fail(f"无法读取 {file} 或写入 {target}：{os_reason(exc)}", 1) from None
            except sqlite3.Error as exc:
                raise fail(f"恢复未完成：{exc}。数据库 {target} 没有改动", 1) from None
    typer.echo(f"已从 {file} 恢复到 {target}（{_size(copied.size)}，完整性检查通过）：{_figures(copied)}。"
               "现在可以启动 studybot run（数据库结构较旧的，启动时会自动升级）。")


def _sqlite_or_explain(url: str, file: Path, *, backing_up: bool) -> Path:
    """The SQLite file of database.url; for PostgreSQL (or anything else) exit 2 with what to do instead."""
    path = sqlite_file(url)
    if path is not None:
        return path
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise fail(f"database.url（{parsed.render_as_string(hide_password=True)}）不是数据库文件，无法备份或恢复")
    # libpq's own form of the address: no driver name, no password (pg_dump reads it from ~/.pgpass or PGPASSWORD)
    libpq = URL.create("postgresql", username=parsed.username, host=parsed.host, port=parsed.port,
                       database=parsed.database, query=parsed.query)
    address = libpq.render_as_string(hide_password=False)
    fresh = libpq.set(database=RESTORED).render_as_string(hide_password=False)
    restoring = (f"  createdb {_connection_options(libpq)}{RESTORED}\n"
                 f"  pg_restore --no-owner --dbname=\"{fresh}\" {shlex.quote(str(file))}\n")
    if backing_up:
        how = (f"数据库是 PostgreSQL：请用 PostgreSQL 自带的 pg_dump 备份（studybot 没有写出 {file}）：\n"
               f"  pg_dump --format=custom --file={shlex.quote(str(file))} \"{address}\"\n"
               "恢复时先建一个空数据库，再用 pg_restore 写入，然后把 database.url 指向它：\n" + restoring)
    else:
        how = ("数据库是 PostgreSQL：请用 PostgreSQL 自带的 pg_restore 把 pg_dump 写出的备份恢复到一个新建的空数据库"
               "（studybot 没有改动任何数据库），然后把 database.url 指向它：\n" + restoring)
    raise fail(how + "密码请写在 ~/.pgpass 或环境变量 PGPASSWORD 中（上面的地址里没有写出密码）")


def _connection_options(url: URL) -> str:
    options = [f"-h {url.host}"] if url.host else []
    options += [f"-p {url.port}"] if url.port else []
    options += [f"-U {url.username}"] if url.username else []
    return " ".join(options) + " " if options else ""


def _held(counts: dict[str, int]) -> str:
    shown = [f"{label} {counts[name]}" for name, label in LABELS.items() if name in counts]
    others = len(set(counts) - set(LABELS))
    return "，".join([*shown, *([f"另有 {others} 张表有数据"] if others else [])])


def _figures(copied: Copied) -> str:
    shown = "，".join(f"{label} {copied.counts[name]}" for name, label in LABELS.items() if name in copied.counts)
    return f"{shown}；共 {len(copied.counts)} 张表"


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"
