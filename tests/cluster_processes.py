"""Real `studybot run` processes on loopback against one PostgreSQL database, for the tests and bench/failover.py:
the WeCom smart robot in callback mode (callbacks encrypted with wechatpy's crypto, as WeCom sends them) and
group webhooks on a fake WeCom API (tests/fakes/wecom_api.py), short lease timings from the settings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from callback_wire import ROBOT_KEY, ROBOT_TOKEN, RobotWire  # noqa: E402

__all__ = ["Instance", "Cluster", "ROOT"]

BANK = """\
name: 单选题库
questions:
  - {type: single, question: 党的最高领导机关是（）。, options: [党的全国代表大会, 中央政治局], answer: A}
  - {type: single, question: 预备党员的预备期为（）。, options: [一年, 半年], answer: A}
"""


class Instance:
    def __init__(self, name: str, config: Path, port: int, log: Path, unique: str) -> None:
        self.name, self.config, self.port, self.log_path = name, config, port, log
        self.unique = unique  # cluster.instance: its connections are "studybot:<unique>…" in pg_stat_activity
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(self.config), "-v"],
                                        stdout=self.log, stderr=subprocess.STDOUT, cwd=self.config.parent,
                                        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"})

    def signal(self, sig: int) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def output(self) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def post(self, call: Any, timeout: float = 10.0) -> httpx.Response:
        return httpx.request(call.method, f"http://127.0.0.1:{self.port}{call.path}", params=call.params,
                             content=call.body, timeout=timeout)


class Cluster:
    """Instances "a", "b", … sharing `url`; `settings` merged into each one's studybot.yaml."""

    def __init__(self, tmp_path: Path, url: str, api_url: str, ports: list[int], groups: dict[str, str],
                 **settings: Any) -> None:
        bank_dir = tmp_path / "banks"
        bank_dir.mkdir(exist_ok=True)
        (bank_dir / "bank.yaml").write_text(BANK, encoding="utf-8")
        self.url = url
        self.engine: Engine = create_engine(url, isolation_level="AUTOCOMMIT")
        self.instances: list[Instance] = []
        self.wire = RobotWire(key=ROBOT_KEY)
        run = uuid.uuid4().hex[:6]  # tests running side by side on one server cut only their own connections
        for port, name in zip(ports, "abcdefgh", strict=False):
            folder = tmp_path / name
            folder.mkdir(exist_ok=True)
            config = {"database": {"url": url}, "server": {"host": "127.0.0.1", "port": port},
                      "quizzes": {"sample_bank": False, "bank_dirs": [str(bank_dir)], "default_bank": "单选题库",
                                  "scored_by": ["member"], "acknowledge_answers": False},
                      "content": {"sample_library": False},
                      "cluster": {"instance": f"{name}-{run}", "lease_seconds": 2.0, "renew_seconds": 0.5,
                                  "claim_seconds": 3.0, "inbox_poll_seconds": 0.05},
                      "wecom": {"api_base_url": api_url, "webhooks": groups,
                                "robot": {"mode": "callback", "token": ROBOT_TOKEN, "encoding_aes_key": ROBOT_KEY}}}
            for section, values in settings.items():
                config[section] = {**config.get(section, {}), **values}
            path = folder / "studybot.yaml"
            path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
            self.instances.append(Instance(name, path, port, folder / "run.log", f"{name}-{run}"))

    def __getitem__(self, name: str) -> Instance:
        return next(i for i in self.instances if i.name == name)

    def close(self) -> None:
        for instance in self.instances:
            instance.kill()
        self.engine.dispose()

    # ----- what the database says -----

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def leader(self) -> str | None:
        """The instance holding an unexpired lease, by the database's clock."""
        holder = self.scalar("SELECT holder FROM leader_lease WHERE expires_at > now()")
        return holder.split(":")[0].split("-")[0] if holder else None

    def wait_until(self, ready: Callable[[], Any], timeout: float = 30.0, what: str = "the condition") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                found = ready()
            except Exception:  # the schema is not made yet, a connection cut by the test
                found = None
            if found:
                return found
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {i.name}\n{i.output()[-3000:]}" for i in self.instances)
                raise AssertionError(f"timed out waiting for {what}\n{logs}")
            time.sleep(0.02)

    def wait_leader(self, name: str, timeout: float = 30.0) -> None:
        self.wait_until(lambda: self.leader() == name, timeout, f"{name} to lead")

    def start_led_by_a(self) -> None:
        """a started and leading, then b started as its standby, both serving HTTP."""
        a, b = self["a"], self["b"]
        a.start()
        self.wait_ready(a)
        self.wait_leader("a")
        b.start()
        self.wait_ready(b)

    def wait_ready(self, instance: Instance, timeout: float = 60.0) -> None:
        def answers() -> bool:
            return httpx.get(f"http://127.0.0.1:{instance.port}/healthz", timeout=1).status_code < 500
        self.wait_until(answers, timeout, f"{instance.name} to serve HTTP")

    # ----- WeCom's side -----

    def say(self, instance: Instance, user: str, words: str, group: str, msgid: str | None = None) -> httpx.Response:
        payload = {"msgid": msgid or uuid.uuid4().hex, "aibotid": "AIBOTID", "chatid": group, "chattype": "group",
                   "from": {"userid": user}, "response_url": "http://127.0.0.1:9/aibot/response",
                   "msgtype": "text", "text": {"content": f"@学习助手 {words}"}}
        response = instance.post(self.wire.carrying(json.dumps(payload, ensure_ascii=False)))
        assert response.status_code == 200, response.text
        return response
