"""Answer throughput through the service's ingress, the way the platforms drive it: many senders at once.

    .venv/bin/python bench/answers.py [--database URL] [--members 1000] [--groups 100] [--per-group 100]
                                      [--senders 256] [--window 0.003] [--sequential]

`--database`: SQLite in a temporary directory when absent; a PostgreSQL URL (postgresql://user@host/db) names a
server on which a database of its own is created and dropped afterwards.
Scenario 1: N members answer one question in one group. Scenario 2: groups x per-group answers, one open question
in each group. `--senders` asyncio tasks each submit an answer to the ingress (bot/ingress.py), wait for its replies
(handed over after the commit that stored it) and take the next, like that many callbacks in flight;
`--sequential` calls App.handle instead, one transaction per answer (the path before the ingress).
Prints answers/s, p50/p99 from arrival to the replies handed over, CPU time per answer (this process, and the
PostgreSQL backend's when the server runs on this machine: on a shared machine wall time lies, CPU time less),
peak RSS, and checks every answer is stored exactly once.

December 2026, 2 cores shared with other work (load 3-6), defaults (11,000 answers, 256 senders):
  SQLite      ingress 17,500 answers/s, p99 21 ms, 54 µs CPU/answer;   --sequential 2,400/s, 255 µs
  PostgreSQL  ingress 6,000-9,100 answers/s, p99 80-115 ms, 57-66 µs + server 31 µs;   --sequential 306/s
7 December 2026, the machine quiet, 7 runs over the day as its speed rose (sum(range(3e7)) 410 ms, then 343 ms):
  SQLite      ingress 20,900-33,700 answers/s, p99 10-20 ms, 29-48 µs CPU/answer
  PostgreSQL  ingress 18,600 answers/s, p99 16 ms, 31 µs + server 21 µs
Where an answer's ~55 µs go in a batch (SQLite): the claim of its message id ~10, its row ~14 (one executemany),
the commit ~3 (shared by the batch), the dispatcher and the contest's answer policy ~25, the ingress ~4."""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.app import App, build_app  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.messages import Chat, Incoming, Outgoing, Sender  # noqa: E402
from bot.service import tune_gc  # noqa: E402
from bot.settings import load_settings  # noqa: E402

GOAL = {"sqlite": 20_000, "postgresql": 5_000}  # answers/s (issue 19)


def message(group: str, user: str, body: str, now: datetime) -> Incoming:
    return Incoming(Chat("bench", group, True, group), Sender(user, user), body, uuid.uuid4().hex, now)


@dataclass
class Result:
    latencies: list[float]
    wall: float
    cpu: float
    server_cpu: float | None = None  # the PostgreSQL backend's, when it runs on this machine

    def line(self, title: str) -> str:
        ordered = sorted(self.latencies)
        n = len(ordered)
        p50, p99 = ordered[n // 2] * 1000, ordered[max(0, int(n * 0.99) - 1)] * 1000
        server = "" if self.server_cpu is None else f" + server {self.server_cpu / n * 1e6:.0f} µs"
        return (f"{title}: {n} answers, {n / self.wall:,.0f} answers/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms "
                f"(arrival to replies handed over), CPU {self.cpu / n * 1e6:.0f} µs/answer{server}")


def backend_cpu(app: App) -> Callable[[], float] | None:
    """CPU seconds used so far by the PostgreSQL backend that serves the dispatcher's connection (/proc, when the
    server is on this machine), or None."""
    if app.db.is_sqlite:
        return None
    with app.db.message_session() as session:
        pid = session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        session.commit()
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")

    def used() -> float:
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return used


class Driver:
    """Feeds messages to the app through `senders` concurrent senders and times each one."""

    def __init__(self, app: App, senders: int, sequential: bool) -> None:
        self.app, self.senders, self.sequential = app, senders, sequential
        self.server = backend_cpu(app)

    async def _one(self, incoming: Incoming) -> list[Outgoing]:
        if self.sequential:
            replies = self.app.handle(incoming)
            await asyncio.sleep(0)  # the other senders' turn, as the next callback's would be
            return replies
        return await self.app.ingress.handle(incoming)

    async def drive(self, incomings: list[Incoming]) -> Result:
        queue = iter(incomings)
        latencies: list[float] = []

        async def sender() -> None:
            for incoming in queue:
                t0 = time.perf_counter()
                replies = await self._one(incoming)
                self.app.send(replies)  # handed over to the channel: where a platform's latency ends
                latencies.append(time.perf_counter() - t0)

        wall0, cpu0 = time.perf_counter(), time.process_time()
        server0 = self.server() if self.server else 0.0
        await asyncio.gather(*(sender() for _ in range(self.senders)))
        server = self.server() - server0 if self.server else None
        return Result(latencies, time.perf_counter() - wall0, time.process_time() - cpu0, server)


async def scenario(driver: Driver, clock: ManualClock, groups: int, per_group: int, name: str) -> Result:
    # members join and each group starts a one-question contest with a long limit; each scenario has groups and
    # members of its own (reusing scenario 1's group would meet its contest, and its members' answers, still there)
    await driver.drive([message(f"{name}g{g}", f"{name}u{g}-{m}", "你好", clock.now())
                        for g in range(groups) for m in range(per_group)])
    await driver.drive([message(f"{name}g{g}", f"{name}u{g}-0", "开始竞赛 基准题库 1", clock.now())
                        for g in range(groups)])
    clock.set(clock.now() + timedelta(seconds=1))
    letters = "ABCD"
    return await driver.drive([message(f"{name}g{g}", f"{name}u{g}-{m}", letters[(m + g) % 4], clock.now())
                               for m in range(per_group) for g in range(groups)])


def check_stored(app: App, expected: int) -> str:
    with app.db.session() as session:
        total = session.execute(text("SELECT COUNT(*) FROM contest_answer")).scalar_one()
        twice = session.execute(text("SELECT COUNT(*) FROM (SELECT contest_id, member_id FROM contest_answer "
                                     "GROUP BY contest_id, member_id, question_index HAVING COUNT(*) > 1) d")
                                ).scalar_one()
    return f"stored {total}/{expected}, {twice} twice" + ("" if total == expected and not twice else "  <-- WRONG")


@contextmanager
def database(url: str | None, tmp: str) -> Iterator[str]:
    """The URL to bench on: a SQLite file in `tmp`, or a fresh PostgreSQL database dropped afterwards."""
    if not url:
        yield f"sqlite:///{tmp}/bench.db"
        return
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        yield url
        return
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    server = create_engine(parsed, isolation_level="AUTOCOMMIT")
    name = f"studybot_bench_{uuid.uuid4().hex[:10]}"
    with server.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


def build(url: str, tmp: str, window: float) -> tuple[App, ManualClock]:
    bank_dir = Path(tmp) / "banks"
    bank_dir.mkdir()
    questions = "\n".join(f"  - {{type: single, question: 基准测试题 {i}（）, options: [甲, 乙, 丙, 丁], "
                          "answer: A}" for i in range(50))
    (bank_dir / "bench.yaml").write_text(f"name: 基准题库\ntime_limit: 600\nquestions:\n{questions}\n",
                                         encoding="utf-8")
    overrides = {"database": {"url": url}, "quizzes": {"bank_dirs": [str(bank_dir)], "questions_per_contest": 1}}
    clock = ManualClock(datetime(2026, 3, 2, 9, 0))
    app = build_app(load_settings(Path("/dev/null"), overrides), clock=clock, seed=1)
    app.start()
    app.ingress.window = window  # as studybot run opens it
    tune_gc()  # as studybot run does after start
    app.channels["bench"] = type("Sink", (), {"name": "bench", "send": lambda self, m: None})()
    return app, clock


async def bench(args: argparse.Namespace, url: str, tmp: str) -> None:
    app, clock = build(url, tmp, args.window)
    backend = make_url(url).get_backend_name()
    mode = "sequential (App.handle)" if args.sequential else f"ingress, window {args.window * 1000:g} ms"
    print(f"{backend}, {args.senders} senders, {mode}")
    driver = Driver(app, args.senders, args.sequential)
    try:
        one = await scenario(driver, clock, 1, args.members, "a")
        print(one.line(f"one group, {args.members} members") + "; " + check_stored(app, args.members))
        many = await scenario(driver, clock, args.groups, args.per_group, "b")
        n = args.members + args.groups * args.per_group
        print(many.line(f"{args.groups} groups x {args.per_group}") + "; " + check_stored(app, n))
        server = None if one.server_cpu is None or many.server_cpu is None else one.server_cpu + many.server_cpu
        both = Result(one.latencies + many.latencies, one.wall + many.wall, one.cpu + many.cpu, server)
        print(both.line("all"))
        rate = len(both.latencies) / both.wall
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        goal = GOAL.get(backend, 0)
        print(f"peak RSS {rss:.0f} MB; goal (>= {goal:,} answers/s): {'met' if rate >= goal else 'NOT met'}; "
              f"by CPU time alone (this process{'' if server is None else ' and the server'}) "
              f"{len(both.latencies) / (both.cpu + (server or 0.0)):,.0f} answers/s")
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", help="PostgreSQL server URL (a database is created and dropped on it)")
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--per-group", type=int, default=100)
    parser.add_argument("--senders", type=int, default=256, help="answers in flight at once")
    parser.add_argument("--window", type=float, default=0.003, help="seconds the ingress gathers for")
    parser.add_argument("--sequential", action="store_true", help="one transaction per answer, App.handle")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database(args.database, tmp) as url:
        asyncio.run(bench(args, url, tmp))


if __name__ == "__main__":
    main()
