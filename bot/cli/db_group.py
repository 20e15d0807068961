"""`studybot db …`: the database itself. Its schema (db_schema.py: upgrade, current) here; each part of the group
lives in a module of its own and is added in commands()."""

from __future__ import annotations

import typer

from bot.cli import db_schema

__all__ = ["commands"]


def commands() -> typer.Typer:
    group = typer.Typer(help="数据库：查看和升级数据库结构（current、upgrade）。", no_args_is_help=True,
                        rich_markup_mode=None)
    group.command("current", short_help="显示数据库的结构版本（不做修改）。")(db_schema.current)
    group.command("upgrade", short_help="把数据库结构升级到本程序的最新版本。")(db_schema.upgrade)
    return group
