"""`studybot db`: the commands about the database itself (backup, restore), one typer group other modules add to."""

from __future__ import annotations

import typer

from bot.cli import db_backup

__all__ = ["commands"]


def commands() -> typer.Typer:
    group = typer.Typer(help="数据库：备份（studybot db backup 文件）与恢复（studybot db restore 文件）。",
                        no_args_is_help=True)
    group.command("backup", short_help="备份数据库（SQLite 在机器人运行时也可备份；PostgreSQL 说明如何用 pg_dump）。")(
        db_backup.backup_command)
    group.command("restore", short_help="把备份恢复到配置的空数据库。")(db_backup.restore_command)
    return group
