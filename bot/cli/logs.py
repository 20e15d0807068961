"""The log on the command line: on stderr, in Beijing time with its zone (as the chat lines are), WARNING and
up unless -v/--verbose asks for INFO too.

What the user must act on (a broken bank, a bad plan or meeting file, missing holiday data) is not a log line:
the command that needs it prints it once, in Chinese, as a ⚠️ line (`warn`); the bot's own code logs it at INFO."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import typer

from bot.app import App
from bot.clock import SHANGHAI

__all__ = ["ShanghaiFormatter", "setup_logging", "warn", "report_schedule_problems", "LOG_FORMAT"]

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# third-party clients log request URLs, which carry secrets and access tokens: never below WARNING
QUIET = ("urllib3", "httpx", "httpcore", "websockets", "uvicorn.access", "jieba")


class ShanghaiFormatter(logging.Formatter):
    """Times in Asia/Shanghai whatever the machine's zone, the zone written out:
    `2026-12-06 15:43:42,495+08:00 WARNING bot.app: …`."""

    @staticmethod
    def converter(seconds: float | None, /) -> time.struct_time:  # type: ignore[override]
        return datetime.fromtimestamp(time.time() if seconds is None else seconds, SHANGHAI).timetuple()

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's name)
        at = datetime.fromtimestamp(record.created, SHANGHAI)
        if datefmt:
            return at.strftime(datefmt)
        zone = at.strftime("%z")
        return f"{at:%Y-%m-%d %H:%M:%S},{int(record.msecs):03d}{zone[:3]}:{zone[3:]}"


class _AlembicContextLines(logging.Filter):
    """Alembic says which dialect it found and whether it assumes transactional DDL each time the schema's revision
    is read (at every start): noise, and on SQLite wrong, since every revision runs in one transaction there
    (bot/storage/schema_lock.py). Its lines about the revisions it runs stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(("Context impl", "Will assume"))


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is when a record comes (a test's runner swaps it per command)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def setup_logging(verbose: bool = False) -> None:
    """The log to stderr in Beijing time; INFO and up with `verbose`, else WARNING and up. Called again (a
    command's own -v after `studybot`'s), it replaces the handler it set before rather than adding one."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _Stderr)]:
        root.removeHandler(handler)
    handler = _Stderr()
    handler.setFormatter(ShanghaiFormatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    alembic = logging.getLogger("alembic.runtime.migration")
    if not any(isinstance(f, _AlembicContextLines) for f in alembic.filters):
        alembic.addFilter(_AlembicContextLines())


def warn(problems: Iterable[str]) -> None:
    """Problems the user must act on, once each, as ⚠️ lines on stderr."""
    for problem in dict.fromkeys(problems):
        typer.echo(f"⚠️ {problem}", err=True)


def report_schedule_problems(app: App) -> None:
    """What the admin must fix in the study library, the plans, the calendar and the meeting files: the commands
    that run the schedule (chat, run) say it once at start."""
    warn([*app.schedule.problems, *app.schedule.meeting_file_problems()])
