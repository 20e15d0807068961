"""`studybot db …`: the commands about the database itself, one typer group; each part lives in a module of its
own (db_schema: current, upgrade; db_backup: backup, restore) and is added here."""

from __future__ import annotations

import typer

from bot.cli import db_backup, db_schema

__all__ = ["commands"]


def commands() -> typer.Typer:
    group = typer.Typer(help="数据库：结构版本（current、upgrade），备份（backup 文件）与恢复（restore 文件）。",
                        no_args_is_help=True, rich_markup_mode=None)
    group.command("current", short_help="显示数据库的结构版本（不做修改）。")(db_schema.current)
    group.command("upgrade", short_help="把数据库结构升级到本程序的最新版本。")(db_schema.upgrade)
    group.command("backup", short_help="备份数据库（SQLite 在机器人运行时也可备份；PostgreSQL 说明如何用 pg_dump）。")(
        db_backup.backup_command)
    group.command("restore", short_help="把备份恢复到配置的空数据库。")(db_backup.restore_command)
    return group
