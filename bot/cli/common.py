"""What every command shares: the --config option, the clock, building the app, and failing with one
Chinese line and an exit code instead of a traceback."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlmodel import Session

from bot.app import App, build_app
from bot.cli.dbfile import missing_database
from bot.cli.logs import setup_logging
from bot.clock import Clock, SystemClock
from bot.settings import ConfigError, Settings, load_settings
from bot.storage.branches import all_branches, branch_named, branch_names
from bot.storage.db import DatabaseUnavailable
from bot.storage.models import Branch

__all__ = ["branch_option", "CliContext", "clock_of", "ConfigOption", "fail", "settings_from", "setup_logging",
           "ready_app", "open_app", "report_bank_problems", "BranchOption", "find_branch", "cancel_and_report",
           "progress_bar", "require_database"]


@dataclass
class CliContext:
    """What `main` hands every command (click's context object): tests give their own clock."""
    clock: Clock = field(default_factory=SystemClock)


def clock_of(ctx: typer.Context) -> Clock:
    obj = ctx.find_root().obj
    return obj.clock if isinstance(obj, CliContext) else SystemClock()


ConfigOption = Annotated[Path | None, typer.Option(
    "--config", "-c", help="配置文件路径（默认：$STUDYBOT_CONFIG 或当前目录的 studybot.yaml；都没有则用内置默认值）")]


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `message` to stderr; the caller raises what this returns (`raise fail(...)`), exit `code`."""
    typer.echo(message, err=True)
    return typer.Exit(code)


def settings_from(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except ConfigError as exc:
        raise fail(str(exc)) from None


def ready_app(settings: Settings, **kwargs: Any) -> App:
    """Build the app and make sure its database is usable; a bad database.url stops here, exit 2."""
    try:
        app = build_app(settings, **kwargs)
        app.db.create_schema()
    except DatabaseUnavailable as exc:
        raise fail(f"数据库不可用：{exc}") from None
    return app


def require_database(settings: Settings) -> None:
    """Exit 2 when database.url is a SQLite file that does not exist, creating nothing (see bot/cli/dbfile.py)."""
    problem = missing_database(settings.database.url)
    if problem is not None:
        raise fail(problem)


def open_app(config: Path | None, *, create: bool = False, **kwargs: Any) -> App:
    """The app for commands that read or change an organisation's database (no channel is started). Only those
    given `create` (the imports, which may be the first thing done in a new directory) make a SQLite database that
    is not there yet; the others refuse it rather than report from an empty one at a mistyped path."""
    settings = settings_from(config)
    if not create:
        require_database(settings)
    return ready_app(settings, **kwargs)


def report_bank_problems(app: App) -> None:
    for problem in app.bank_problems:
        typer.echo(f"⚠️ 题库文件有误，未加载：{problem}", err=True)
    app.catalog.refresh()
    for line in app.catalog.hidden_lines():
        typer.echo(f"⚠️ {line}", err=True)
    default = app.settings.quizzes.default_bank
    if default and default not in app.catalog:
        typer.echo(f"⚠️ 配置的默认题库「{default}」（quizzes.default_bank）不存在；可用的题库："
                   f"{'、'.join(b.name for b in app.catalog.banks()) or '无'}", err=True)


PROGRESS_FROM = 5_000  # rows: smaller imports take about a second, a bar would only flash


@contextlib.contextmanager
def progress_bar(total: int, what: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on the terminal (stderr) for work on `total` rows, given to the work as its
    `progress(done, total)`; None when the work is small or nobody watches (a pipe, a test)."""
    if total < PROGRESS_FROM or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(what, total=total)
        yield lambda done, _total: bar.update(task, completed=done)


BranchOption = Annotated[str, typer.Option("--branch", "-b", help="支部名称")]


def find_branch(session: Session, name: str) -> Branch:
    """The branch called `name`, or exit 2 naming the branches there are."""
    branch = branch_named(session=session, name=name)
    if branch is None:
        names = "、".join(b.name for b in all_branches(session=session)) or "（还没有支部）"
        raise fail(f"没有支部「{name}」。现有支部：{names}")
    return branch


def cancel_and_report(config: Path | None, cancel: Callable[[App, Session], str]) -> None:
    """Run `cancel(app, session) -> reply` (取消推送, 取消会议) and print the reply; exit 1 when nothing was
    cancelled (the reply then says why)."""
    app = open_app(config)
    try:
        with app.db.session() as session:
            text = cancel(app, session)
        typer.echo(text)
        if not text.startswith("已取消"):
            raise typer.Exit(1)
    finally:
        app.close()


def branch_option(session: Session, branch: str | None) -> int | None:
    """The id of the branch `--branch` names (None: every branch); an unknown name exits 1 listing the branches."""
    if branch is None:
        return None
    branches = branch_names(session=session)
    wanted = branch.strip()
    branch_id = next((i for i, name in branches.items() if name == wanted), None)
    if branch_id is None:
        known = "、".join(sorted(branches.values())) or "（还没有支部）"
        raise fail(f"没有名为「{wanted}」的支部。现有支部：{known}", 1)
    return branch_id
