"""One bot per SQLite file: the process that runs the scheduled jobs and the contest timers (`studybot run`) holds
an exclusive flock on a file beside the database (`studybot.db.lock`) for as long as it lives, and writes who it is
into it. A second one finds the lock taken and reads who holds it. The kernel drops the lock with the process's
last descriptor, so a process killed with SIGKILL leaves nothing to clean up: the file stays, its lock does not.

flock, not fcntl's record locks (lockf): a record lock belongs to the process and is dropped when any descriptor of
the file is closed, even one opened by a library; flock belongs to the one open file. Readers (rank, the dashboard)
never look at the file: SQLite's own locking keeps them safe beside the writer."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path

from bot.storage.sqlite_file import sqlite_file

__all__ = ["Holder", "AlreadyRunning", "InstanceLock", "lock_path"]


@dataclass(frozen=True)
class Holder:
    """Who holds the lock: what a refused second process tells its user."""
    pid: int
    host: str
    since: str  # Asia/Shanghai wall-clock time, "2026-03-02 09:00:00"
    command: str


class AlreadyRunning(Exception):
    """Another process holds the lock; `holder` is None when it has not written its details yet (it is starting)."""

    def __init__(self, path: Path, holder: Holder | None) -> None:
        super().__init__(f"{path} is locked by {holder}")
        self.path, self.holder = path, holder


def lock_path(url: str) -> Path | None:
    """The lock file for `url`: the SQLite file's name plus `.lock`; None for an in-memory database or another kind
    of database (PostgreSQL instances coordinate in the database itself)."""
    database = sqlite_file(url)
    return None if database is None else database.with_name(database.name + ".lock")


class InstanceLock:
    """`acquire` takes the lock or raises AlreadyRunning; `release` (or the process's end) gives it back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, *, since: str, command: str) -> None:
        """OSError when the file cannot be made or opened (a read-only folder): the caller says so."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise AlreadyRunning(self.path, holder) from None
        except BaseException:
            os.close(fd)
            raise
        holder = Holder(pid=os.getpid(), host=socket.gethostname(), since=since, command=command)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(asdict(holder), ensure_ascii=False).encode("utf-8"), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):  # emptied first: once unlocked, the next holder's details are its own
            os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing the only descriptor drops the flock
        self._fd = None

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> Holder | None:
    """The holder's details; None while it is between taking the lock and writing them, or if they are not ours."""
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        return Holder(pid=int(data["pid"]), host=str(data["host"]), since=str(data["since"]),
                      command=str(data["command"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
