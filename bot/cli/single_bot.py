"""The commands that run the bot itself (`studybot run`, and `studybot chat` when no platform is configured: then it
is the same bot in the terminal) hold the SQLite file's lock while they run (bot/storage/instance_lock.py); a second
one is refused in one Chinese line naming the first. `studybot db restore` holds it too: nothing may write while the
database is being replaced. `studybot web` does not: it runs no scheduled job and no contest timer, only serves
pages from the same rows, like `rank`, so it may run beside the bot (and on a copy of the database)."""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
import sys
from collections.abc import Iterator
from datetime import datetime

from bot.cli.common import fail
from bot.storage.instance_lock import AlreadyRunning, InstanceLock, lock_path
from safeio.oserrors import os_reason

__all__ = ["one_bot_per_database", "refusal"]


@contextlib.contextmanager
def one_bot_per_database(url: str, now: datetime, *, restoring: bool = False) -> Iterator[None]:
    """Hold the lock of the SQLite file `url` names while the block runs (nothing for PostgreSQL or memory);
    exit 2 with the holder's details when another process has it. `restoring`: for `db restore`, not a bot."""
    path = lock_path(url)
    if path is None:
        yield
        return
    lock = InstanceLock(path)
    try:
        lock.acquire(since=now.strftime("%Y-%m-%d %H:%M:%S"), command=command_line())
    except AlreadyRunning as exc:
        raise fail(refusal(exc, restoring=restoring)) from None
    except OSError as exc:
        raise fail(f"无法创建锁文件 {path}：{os_reason(exc, writing=True)}。它放在数据库旁边，"
                   "保证同一个数据库只运行一个 studybot run；请检查数据库所在目录的权限") from None
    try:
        yield
    finally:
        lock.release()


def refusal(exc: AlreadyRunning, *, restoring: bool = False) -> str:
    database = exc.path.with_suffix("")
    holder = exc.holder
    if holder is None:
        who = f"另一个正在启动的 studybot 进程（锁文件 {exc.path}）"
        stop = "请等它启动后再看，或先停止它"
    else:
        who = (f"另一个 studybot 进程（进程号 {holder.pid}，主机 {holder.host}，{holder.since} 启动，"
               f"命令「{holder.command}」）")
        same_host = holder.host == socket.gethostname()
        stop = f"请先停止它（kill {holder.pid}）" if same_host else f"请先在主机 {holder.host} 上停止它"
    if restoring:
        return (f"不能恢复到数据库 {database}：它正由{who}使用。\n"
                f"恢复会替换整个数据库，运行中的机器人不能同时使用它：{stop}，再运行 studybot db restore。")
    return (f"不能启动：数据库 {database} 正由{who}使用。\n"
            "同一个 SQLite 数据库只能运行一个机器人（两个会把定时推送、会议提醒和竞赛计时各执行一遍）。"
            f"{stop}，或为这一个配置另一个 database.url。"
            "查看排名（studybot rank）、管理后台（studybot web）等其他命令可以在它运行时照常使用。")


def command_line() -> str:
    """How this process was started, as the user would type it: `studybot run -c studybot.yaml`."""
    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "studybot"
    if program in ("__main__.py", "studybot", ""):
        program = "studybot"
    return shlex.join([program, *sys.argv[1:]])

