"""`studybot run` (the service, or the local chat when no platform is configured) and `studybot chat`
(the local chat in the terminal, or a .chat script played on a simulated clock)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from bot.app import App, build_app
from bot.channels.registry import (
    DEFAULT_GROUP,
    ScriptError,
    add_platform_channels,
    chat_interactively,
    parse_script,
    play_script,
)
from bot.cli.common import ConfigOption, clock_of, fail, ready_app, report_bank_problems, settings_from
from bot.cli.local_dashboard import dashboard_beside_chat
from bot.cli.logs import report_schedule_problems, setup_logging
from bot.cli.sample_roster import import_sample_roster
from bot.cli.single_bot import one_bot_per_database
from bot.clock import ManualClock
from bot.services.roster import import_roster
from bot.services.roster_file import RosterError, RosterFileMissing, read_roster_file
from safeio.limits import Refused
from safeio.oserrors import os_reason
from safeio.text import plain_name, read_text

__all__ = ["chat", "run"]

AsOption = Annotated[str, typer.Option("--as", help="以哪位成员的身份发言")]
VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="在标准错误输出运行日志（含 INFO 级别）")]


def chat(
    ctx: typer.Context,
    as_: AsOption = "张三",
    group: Annotated[str, typer.Option("--group", "-g", help="在哪个群里（「私聊」= 与机器人私聊）")] = DEFAULT_GROUP,
    script: Annotated[Path | None, typer.Option("--script", help="播放 .chat 对话脚本并打印记录")] = None,
    start: Annotated[str | None, typer.Option("--start", help="脚本的模拟起始时间，如 \"2026-03-02 09:00\"")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="随机种子，使抽题等结果可复现")] = None,
    database: Annotated[str | None, typer.Option(
        "--database", help="脚本使用的数据库地址（默认：每次播放用一个全新的临时数据库，不动正式数据）")] = None,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """在终端里的本地群聊中与机器人对话，或播放对话脚本。"""
    if verbose:  # else as `studybot` set it up (its own -v)
        setup_logging(True)
    settings = settings_from(config)
    if script is None:
        as_ = _speaker(as_)
        platforms = bool(settings.wecom or settings.dingtalk or settings.wechat_mp)
        # with no platform this is the bot itself, in the terminal (as `studybot run` would be): one per database
        with contextlib.nullcontext() if platforms else one_bot_per_database(settings.database.url,
                                                                             clock_of(ctx).now()):
            app = ready_app(settings, seed=seed)
            report_bank_problems(app)
            report_schedule_problems(app)
            if platforms:
                # the platforms' service (studybot run) owns the scheduled jobs and pushes on this database:
                # running them here too would start a plan's contest twice
                app.schedule.jobs.real = True
                typer.echo("已配置企业微信、钉钉或公众号：定时推送、会议提醒由 studybot run 负责，"
                           "本地聊天不执行它们。", err=True)
            asyncio.run(_chat(app, as_, group))
        return
    try:
        steps = parse_script(read_text(script))
    except FileNotFoundError:
        raise fail(f"找不到脚本文件 {script}") from None
    except OSError as exc:
        raise fail(f"无法读取脚本 {script}：{os_reason(exc)}") from None
    except Refused as exc:  # not UTF-8 (a GBK script is refused, as studybot.yaml is), too large
        where = f" 第 {exc.line} 行" if exc.line else ""
        raise fail(f"无法读取脚本 {script}{where}：{exc.reason}") from None
    except ScriptError as exc:
        raise fail(f"{script}: {exc}") from None
    if not steps:
        raise fail(f"{script}: 脚本是空的，没有可播放的内容（每行写「姓名: 消息」、「~ 30s」或「[群名]」，"
                   "例如「张三: 帮助」）")
    try:
        begin = datetime.strptime(start, "%Y-%m-%d %H:%M") if start else clock_of(ctx).now().replace(microsecond=0)
    except ValueError:
        raise fail(f"--start 的格式应为 \"2026-03-02 09:00\"，实为「{start}」") from None
    # A script replays a simulated conversation: by default on a fresh database of its own,
    # so it is repeatable and never mixes simulated points into the real ledger.
    with tempfile.TemporaryDirectory(prefix="studybot-script-") as scratch:
        url = database or f"sqlite:///{Path(scratch) / 'script.db'}"
        settings = settings.model_copy(update={"database": settings.database.model_copy(update={"url": url})})
        # a bad database.url stops here, before the first line plays; the problems are told once, not at each restart
        probe = ready_app(settings, seed=seed, clock=ManualClock(begin))
        report_bank_problems(probe)
        report_schedule_problems(probe)
        try:
            _enrol_roster(probe, script, begin)
        finally:
            probe.close()
        try:
            play_script(steps, lambda clock: build_app(settings, clock=clock, seed=seed), ManualClock(begin),
                        sys.stdout)
        except ScriptError as exc:  # found while playing: the simulated clock ran off the calendar
            raise fail(f"{script}: {exc}") from None


_ROSTER = re.compile(r"^#\s*roster\s*:\s*(.+?)\s*$", re.MULTILINE)


def _enrol_roster(app: App, script: Path, now: datetime) -> None:
    """A script's `# roster: FILE` header (a roster file beside the script): imported before the first line, so the
    script plays with 书记, 委员 and the members a question waits for."""
    header = _ROSTER.search(script.read_text(encoding="utf-8-sig"))
    if header is None:
        return
    path = script.parent / header[1]
    try:
        read = read_roster_file(path)
        import_roster(app.db, rows=read.rows, now=now, label=path.name)
    except RosterFileMissing as exc:
        raise fail(f"{script}: # roster: {exc}") from None
    except RosterError as exc:
        raise fail(f"{script}: 名册有误：\n" + "\n".join(exc.problems)) from None
    if note := read.ignored_note():
        typer.echo(f"{path.name}：{note}", err=True)


def _speaker(name: str) -> str:
    """The --as name as the bot will read it; an empty one (「--as ""」, only spaces or invisible characters) is a
    usage error rather than a member called 「」."""
    plain = plain_name(name)
    if not plain:
        raise fail("--as 需要一位成员的姓名，例如 --as 张三")
    return plain


async def _chat(app: App, name: str, group: str) -> None:
    if note := import_sample_roster(app):
        typer.echo(note, err=True)
    async with dashboard_beside_chat(app) as told:
        if told:
            typer.echo(told, err=True)
        await chat_interactively(app, name, group)


def run(
    ctx: typer.Context,
    as_: Annotated[str, typer.Option("--as", help="本地聊天中以哪位成员的身份发言")] = "张三",
    group: Annotated[str, typer.Option("--group", "-g", help="本地聊天所在的群")] = DEFAULT_GROUP,
    config: ConfigOption = None,
    verbose: VerboseOption = False,
) -> None:
    """启动机器人服务：HTTP 回调服务器和配置了的渠道（企业微信、公众号、钉钉）。一个渠道都未配置时，使用终端里的本地聊天渠道。同一个 SQLite 数据库同时只能运行一个（第二个会被拒绝，并指出正在运行的那一个）。"""  # noqa: E501 (--help text: one paragraph)
    if verbose:  # else as `studybot` set it up (its own -v)
        setup_logging(True)
    as_ = _speaker(as_)
    settings = settings_from(config)
    with one_bot_per_database(settings.database.url, clock_of(ctx).now()):  # held until this process ends
        app = ready_app(settings)
        report_bank_problems(app)
        report_schedule_problems(app)
        if not add_platform_channels(app):
            asyncio.run(_chat(app, as_, group))
            return
        from bot.service import PortUnavailable, run_loop, serve

        server = app.settings.server
        typer.echo(f"studybot 已启动：渠道 {'、'.join(sorted(app.channels))}，"
                   f"回调地址 http://{server.host}:{server.port}/（Ctrl-C 退出）", err=True)
        try:
            run_loop(serve(app))
        except PortUnavailable as exc:
            raise fail(str(exc)) from None
