"""One bot per SQLite file: a second `studybot run` on the same database is refused, naming the first; the commands
that only read or copy work beside it; a bot killed with SIGKILL leaves no stale lock behind. Real processes, the
embedded settings (no platform: `studybot run` is the local chat, with the dashboard beside it)."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.storage.instance_lock import InstanceLock

ROOT = Path(__file__).resolve().parents[1]
PORTS = range(19300, 19400)  # this suite's servers: see the ports the other tests use
READY = "的身份进入"  # 「您以「张三」的身份进入…」: printed once the bot has started (and holds the lock)
runner = CliRunner()


def free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.skip("no free port in 19300-19399")


class Bot:
    """`studybot run` as its own process; `ready()` waits for the line it prints once started."""

    def __init__(self, workdir: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "-c", "studybot.yaml"], cwd=workdir, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put("")  # the process ended

    def ready(self, timeout: float = 60) -> None:
        seen = []
        while True:
            line = self.lines.get(timeout=timeout)
            seen.append(line)
            assert line, f"the bot ended before it started: {''.join(seen)}"
            if READY in line:
                return

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)


def port_of(workdir: Path) -> int:
    return int((workdir / "studybot.yaml").read_text(encoding="utf-8").split("port: ")[1])


@pytest.fixture
def workdir(tmp_path: Path, no_config_env: None) -> Iterator[Path]:
    port = free_port()
    (tmp_path / "studybot.yaml").write_text(
        f"database:\n  url: sqlite:///{tmp_path / 'data' / 'studybot.db'}\nserver:\n  port: {port}\n", encoding="utf-8")
    yield tmp_path


def test_a_second_bot_on_the_same_file_is_refused_and_a_killed_one_leaves_no_lock(workdir: Path) -> None:
    first = Bot(workdir)
    try:
        first.ready()
        with urllib.request.urlopen(f"http://127.0.0.1:{port_of(workdir)}/readyz", timeout=10) as response:
            assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
            assert json.loads(response.read()) == {"database": "ok", "role": "single"}  # the dashboard beside it
        refused = subprocess.run([sys.executable, "-m", "bot", "run", "-c", "studybot.yaml"], cwd=workdir,
                                 stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert refused.returncode == 2, refused.stderr
        assert "Traceback" not in refused.stderr
        message = refused.stderr
        assert message.startswith(f"不能启动：数据库 {workdir / 'data' / 'studybot.db'} 正由另一个 studybot 进程")
        assert f"进程号 {first.process.pid}，主机 {socket.gethostname()}，" in message
        assert "命令「studybot run -c studybot.yaml」" in message and f"kill {first.process.pid}" in message

        # beside it: what only reads or copies works as before
        ranked = runner.invoke(build_cli(), ["rank", "-c", str(workdir / "studybot.yaml")], prog_name="studybot")
        assert ranked.exit_code == 0, ranked.output
        copied = runner.invoke(build_cli(), ["db", "backup", str(workdir / "copy.db"), "-c",
                                             str(workdir / "studybot.yaml")], prog_name="studybot")
        assert copied.exit_code == 0 and "完整性检查通过" in copied.stdout, copied.output
        # and the local chat is the bot too (no platform configured): refused the same way, in this process
        chat = runner.invoke(build_cli(), ["chat", "-c", str(workdir / "studybot.yaml")], input="",
                             prog_name="studybot")
        assert chat.exit_code == 2 and f"进程号 {first.process.pid}" in chat.stderr, chat.output
    finally:
        first.process.send_signal(signal.SIGKILL)
        first.stop()

    second = Bot(workdir)  # the kernel dropped the killed process's lock: nothing to clean up by hand
    try:
        second.ready()
        held = json.loads((workdir / "data" / "studybot.db.lock").read_text(encoding="utf-8"))
        assert held["pid"] == second.process.pid
    finally:
        assert second.process.stdin is not None
        second.process.stdin.close()  # the chat's end of input: it stops as after /exit
        assert second.process.wait(timeout=30) == 0
    assert (workdir / "data" / "studybot.db.lock").read_text(encoding="utf-8") == ""  # emptied on the way out


def test_a_lock_held_in_this_process_refuses_run_in_one_line(workdir: Path) -> None:
    database = workdir / "data" / "studybot.db"
    with InstanceLock(database.with_name("studybot.db.lock")) as lock:
        lock.acquire(since="2026-03-02 09:00:00", command="studybot run")
        result = runner.invoke(build_cli(), ["run", "-c", str(workdir / "studybot.yaml")], input="",
                               prog_name="studybot")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"不能启动：数据库 {database} 正由另一个 studybot 进程（进程号 {os.getpid()}，主机 {socket.gethostname()}，"
        "2026-03-02 09:00:00 启动，命令「studybot run」）使用。")
    assert not database.exists()  # refused before anything was opened
