"""The `studybot` command line."""

from __future__ import annotations

import asyncio
import logging
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from bot import __version__
from bot.app import App, build_app
from bot.channels.registry import DEFAULT_GROUP, ScriptError, parse_script
from bot.clock import ManualClock, SystemClock
from bot.example_config import EXAMPLE_CONFIG
from bot.settings import ConfigError, Settings, load_settings
from bot.storage.db import DatabaseUnavailable

__all__ = ["main", "cli"]

cli = typer.Typer(help="studybot：党支部学习、知识竞赛与党建积分机器人。", no_args_is_help=True,
                  add_completion=False, rich_markup_mode=None)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"studybot {__version__}")
        raise typer.Exit()


@cli.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="显示版本号并退出")] = False) -> None:
    """studybot：党支部学习、知识竞赛与党建积分机器人。"""

ConfigOption = Annotated[Path | None, typer.Option(
    "--config", "-c", help="配置文件路径（默认：$STUDYBOT_CONFIG 或当前目录的 studybot.yaml；都没有则用内置默认值）")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def settings_from(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


def _setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # third-party clients log request URLs, which carry secrets and access tokens: never below WARNING
    for noisy in ("urllib3", "httpx", "httpcore", "websockets", "uvicorn.access", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def ready_app(settings: Settings, **kwargs) -> App:
    """Build the app and make sure its database is usable; a bad database.url stops here, exit 2."""
    try:
        app = build_app(settings, **kwargs)
        app.db.create_schema()
    except DatabaseUnavailable as exc:
        raise _fail(f"数据库不可用：{exc}") from None
    return app


def open_app(config: Path | None, **kwargs) -> App:
    """The app for commands that only read or import (no channel is started)."""
    return ready_app(settings_from(config), **kwargs)


@cli.command()
def init(path: Annotated[Path, typer.Argument(help="写到哪里")] = Path("studybot.yaml"),
         force: Annotated[bool, typer.Option("--force", help="覆盖已有文件")] = False) -> None:
    """写出一份带注释的示例配置文件 studybot.yaml。"""
    if path.exists() and not force:
        raise _fail(f"{path} 已存在；如需覆盖请加 --force", 1)
    path.write_text(EXAMPLE_CONFIG, encoding="utf-8")
    Path("banks").mkdir(exist_ok=True)
    typer.echo(f"已写出 {path}，并创建了 banks/ 目录（放自己的题库 *.yaml）。")


def _report_bank_problems(app: App) -> None:
    for problem in app.bank_problems:
        typer.echo(f"⚠️ 题库文件有误，未加载：{problem}", err=True)
    app.catalog.refresh()
    default = app.settings.quizzes.default_bank
    if default and default not in app.catalog:
        typer.echo(f"⚠️ 配置的默认题库「{default}」（quizzes.default_bank）不存在；可用的题库："
                   f"{'、'.join(b.name for b in app.catalog.banks()) or '无'}", err=True)


@cli.command()
def chat(
    as_: Annotated[str, typer.Option("--as", help="以哪位成员的身份发言")] = "张三",
    group: Annotated[str, typer.Option("--group", "-g", help="在哪个群里（「私聊」= 与机器人私聊）")] = DEFAULT_GROUP,
    script: Annotated[Path | None, typer.Option("--script", help="播放 .chat 对话脚本并打印记录")] = None,
    start: Annotated[str | None, typer.Option("--start", help="脚本的模拟起始时间，如 \"2026-03-02 09:00\"")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="随机种子，使抽题等结果可复现")] = None,
    database: Annotated[str | None, typer.Option(
        "--database", help="脚本使用的数据库地址（默认：每次播放用一个全新的临时数据库，不动正式数据）")] = None,
    config: ConfigOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="在标准错误输出日志")] = False,
) -> None:
    """在终端里的本地群聊中与机器人对话，或播放对话脚本。"""
    _setup_logging(verbose)
    settings = settings_from(config)
    if script is None:
        app = ready_app(settings, seed=seed)
        _report_bank_problems(app)
        if settings.wecom or settings.dingtalk or settings.wechat_mp:
            # the platforms' service (studybot run) owns the scheduled jobs and pushes on this database:
            # running them here too would start a plan's contest twice
            app.schedule.jobs.real = True
            typer.echo("已配置企业微信、钉钉或公众号：定时推送、会议提醒由 studybot run 负责，本地聊天不执行它们。", err=True)
        asyncio.run(_chat(app, as_, group))
        return
    try:
        steps = parse_script(script.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise _fail(f"找不到脚本文件 {script}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"无法读取脚本 {script}（应为 UTF-8 文本）：{exc}") from None
    except ScriptError as exc:
        raise _fail(f"{script}: {exc}") from None
    try:
        begin = datetime.strptime(start, "%Y-%m-%d %H:%M") if start else SystemClock().now().replace(microsecond=0)
    except ValueError:
        raise _fail(f"--start 的格式应为 \"2026-03-02 09:00\"，实为「{start}」") from None
    from bot.channels.registry import play_script

    # A script replays a simulated conversation: by default on a fresh database of its own,
    # so it is repeatable and never mixes simulated points into the real ledger.
    with tempfile.TemporaryDirectory(prefix="studybot-script-") as scratch:
        url = database or f"sqlite:///{Path(scratch) / 'script.db'}"
        settings = settings.model_copy(update={"database": settings.database.model_copy(update={"url": url})})
        probe = ready_app(settings, seed=seed)  # a bad database.url stops here, before the first line plays
        _report_bank_problems(probe)
        probe.close()
        play_script(steps, lambda clock: build_app(settings, clock=clock, seed=seed), ManualClock(begin), sys.stdout)


async def _chat(app: App, name: str, group: str) -> None:
    from bot.channels.registry import chat_interactively

    await chat_interactively(app, name, group)


@cli.command()
def run(
    as_: Annotated[str, typer.Option("--as", help="本地聊天中以哪位成员的身份发言")] = "张三",
    group: Annotated[str, typer.Option("--group", "-g", help="本地聊天所在的群")] = DEFAULT_GROUP,
    config: ConfigOption = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="在标准错误输出日志")] = False,
) -> None:
    """启动机器人服务：HTTP 回调服务器和配置了的渠道（企业微信、公众号、钉钉）。一个渠道都未配置时，使用终端里的本地聊天渠道。"""
    _setup_logging(verbose)
    app = ready_app(settings_from(config))
    _report_bank_problems(app)
    from bot.channels.registry import add_platform_channels

    if not add_platform_channels(app):
        asyncio.run(_chat(app, as_, group))
        return
    from bot.service import serve

    server = app.settings.server
    typer.echo(f"studybot 已启动：渠道 {'、'.join(sorted(app.channels))}，回调地址 http://{server.host}:{server.port}/"
               "（Ctrl-C 退出）", err=True)
    asyncio.run(serve(app))


@cli.command()
def doctor(config: ConfigOption = None) -> None:
    """检查配置、数据库、题库、学习资料和学习计划，并用配置的凭据连一次企业微信、公众号和钉钉（不会往群里发消息）。有问题时退出码 1。"""
    from bot.doctor import Check, run_checks

    settings = settings_from(config)
    app = ready_app(settings)
    try:
        app.catalog.refresh()
        checks = [Check(True, "配置", "有效"), Check(True, "数据库", app.db.url),
                  Check(not app.bank_problems, "题库", f"{len(app.catalog.banks())} 个可用"
                        + (f"，{len(app.bank_problems)} 处问题（见上方提示）" if app.bank_problems else ""))]
        _report_bank_problems(app)
        schedule = app.schedule
        plan_problems = [p for p in schedule.problems if p.startswith("学习计划")]
        item_problems = [p for p in schedule.problems if p.startswith("学习资料")]
        calendar_notes = [p for p in schedule.problems if p not in plan_problems + item_problems]
        for problem in item_problems + plan_problems:
            typer.echo(problem, err=True)
        checks += [Check(not item_problems, "学习资料", f"{len(schedule.study.library)} 篇可用"
                         + (f"，{len(item_problems)} 篇有误（见上方提示）" if item_problems else "")),
                   Check(not plan_problems, "学习计划", f"{len(schedule.pushes.plans)} 项"
                         + (f"，{len(plan_problems)} 处问题（见上方提示）" if plan_problems else "")
                         + _unknown_targets(app)),
                   Check(True, "工作日历", "；".join(calendar_notes) or "chinese-calendar 覆盖今明两年")]
    finally:
        app.close()
    checks += run_checks(settings)
    for check in checks:
        typer.echo(str(check))
    if not all(check.ok for check in checks):
        raise typer.Exit(1)


def _unknown_targets(app: App) -> str:
    """Plan targets (branches or groups) that no known group matches yet: their pushes would go nowhere."""
    with app.db.session() as session:
        unknown = sorted({name for entry in app.schedule.pushes.plans.values() for name in entry.targets
                          if not app.schedule.pushes.targets(session, [name])})
    if not unknown:
        return ""
    return (f"；机器人还不认识「{'」「'.join(unknown[:5])}」{'等' if len(unknown) > 5 else ''}的群，"
            "群里有人发过消息后才能推送")


_registered: list[bool] = []


def register_commands() -> typer.Typer:
    """Add the commands that live in their own modules (they import this one, hence not at import time)."""
    if not _registered:
        from bot.cli_bank import bank_cli
        from bot.cli_members import members_cli
        from bot.cli_rank import rank
        from bot.cli_schedule import meetings_cli, push_cli, reload

        cli.add_typer(bank_cli, name="bank")
        cli.add_typer(members_cli, name="members")
        cli.command(name="rank")(rank)
        cli.add_typer(push_cli, name="push")
        cli.add_typer(meetings_cli, name="meetings")
        cli.command(name="reload")(reload)
        _registered.append(True)
    return cli


def main() -> None:
    register_commands()(prog_name="studybot")
