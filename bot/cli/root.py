"""The `studybot` command: its commands and groups wired in one place, `init`, and `--version`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot import __version__
from bot.cli import bank, contest, db_group, doctor, meetings, members, points, push, rank, run, web
from bot.cli.chinese import chinese
from bot.cli.common import CliContext, fail
from bot.cli.example_config import EXAMPLE_CONFIG
from bot.cli.logs import setup_logging
from bot.cli.output import refuse_existing, write_text
from safeio.oserrors import os_reason

__all__ = ["build_cli", "main"]

HELP = "studybot：党支部学习、知识竞赛与党建积分机器人。"
VERBOSE_HELP = "在标准错误输出运行日志（含 INFO 级别，北京时间），用于任何命令，写在命令之前：studybot -v push list"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"studybot {__version__}")
        raise typer.Exit()


def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="显示版本号并退出")] = False,
          verbose: Annotated[bool, typer.Option("--verbose", "-v", help=VERBOSE_HELP)] = False) -> None:
    """studybot：党支部学习、知识竞赛与党建积分机器人。"""
    setup_logging(verbose)


def init(path: Annotated[Path, typer.Argument(help="写到哪里")] = Path("studybot.yaml"),
         force: Annotated[bool, typer.Option("--force", help="覆盖已有文件")] = False) -> None:
    """写出一份带注释的示例配置文件 studybot.yaml。"""
    if path.is_dir():  # --force or not: a folder is never overwritten by a file
        raise fail(f"{path} 是一个目录，不是文件；请写出文件名，例如 studybot init {path / 'studybot.yaml'}", 1)
    refuse_existing(path, force)
    write_text(path, EXAMPLE_CONFIG)
    try:
        Path("banks").mkdir(exist_ok=True)
    except OSError as exc:
        raise fail(f"已写出 {path}，但无法创建 banks/ 目录：{os_reason(exc, writing=True)}", 1) from None
    typer.echo(f"已写出 {path}，并创建了 banks/ 目录（放自己的题库 *.yaml）。")


def build_cli() -> typer.Typer:
    """The whole command line, built afresh (tests build their own)."""
    cli = typer.Typer(help=HELP, no_args_is_help=True, add_completion=False, rich_markup_mode=None)
    cli.callback()(_root)
    cli.command()(init)
    cli.command()(run.chat)
    cli.command()(run.run)
    cli.command(short_help="检查配置、数据库、内容与各平台凭据（不发消息）。")(doctor.doctor)
    cli.add_typer(bank.commands(), name="bank")
    cli.add_typer(contest.commands(), name="contest")
    cli.add_typer(members.commands(), name="members")
    cli.command(name="rank")(rank.rank)
    cli.add_typer(points.commands(), name="points")
    cli.add_typer(push.commands(), name="push")
    cli.add_typer(meetings.commands(), name="meetings")
    cli.command(name="reload")(push.reload)
    cli.add_typer(web.commands(), name="web")
    cli.add_typer(db_group.commands(), name="db")
    return chinese(cli)


def main() -> None:
    build_cli()(prog_name="studybot", obj=CliContext())
