"""Answer throughput through the real dispatcher, SQLite on disk.

    .venv/bin/python bench/answers.py [--members 1000] [--groups 100] [--per-group 100]

Scenario 1: N members answer one question in one group.
Scenario 2: groups x per-group answers, one open question in each group.
Prints answers/s, p50/p99 latency per message, peak RSS, and checks every answer is stored."""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.messages import Chat, Incoming, Sender  # noqa: E402
from bot.settings import load_settings  # noqa: E402


def message(group: str, user: str, body: str, now: datetime) -> Incoming:
    return Incoming(Chat("bench", group, True, group), Sender(user, user), body, uuid.uuid4().hex, now)


def run(app, clock, groups: int, per_group: int, scenario: str) -> tuple[list[float], int]:
    # members join and each group starts a one-question contest with a long limit; each scenario has groups and
    # members of its own (reusing scenario 1's group would meet its contest, and its members' answers, still there)
    for g in range(groups):
        for m in range(per_group):
            app.handle(message(f"{scenario}g{g}", f"{scenario}u{g}-{m}", "你好", clock.now()))
        app.handle(message(f"{scenario}g{g}", f"{scenario}u{g}-0", "开始竞赛 基准题库 1", clock.now()))
    clock.set(clock.now() + timedelta(seconds=1))
    latencies: list[float] = []
    letters = "ABCD"
    for m in range(per_group):
        for g in range(groups):
            incoming = message(f"{scenario}g{g}", f"{scenario}u{g}-{m}", letters[(m + g) % 4], clock.now())
            t0 = time.perf_counter()
            app.handle(incoming)
            latencies.append(time.perf_counter() - t0)
    return latencies, groups * per_group


def report(title: str, latencies: list[float], stored: int, expected: int) -> None:
    ordered = sorted(latencies)
    total = sum(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(f"{title}: {len(latencies)} answers, {len(latencies) / total:,.0f} answers/s, "
          f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, stored {stored}/{expected}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=100)
    parser.add_argument("--per-group", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bank_dir = Path(tmp) / "banks"
        bank_dir.mkdir()
        questions = "\n".join(f"  - {{type: single, question: 基准测试题 {i}（）, options: [甲, 乙, 丙, 丁], "
                              "answer: A}" for i in range(50))
        (bank_dir / "bench.yaml").write_text(f"name: 基准题库\ntime_limit: 600\nquestions:\n{questions}\n",
                                             encoding="utf-8")
        overrides = {"database": {"url": f"sqlite:///{tmp}/bench.db"},
                     "quizzes": {"bank_dirs": [str(bank_dir)], "questions_per_contest": 1}}
        settings = load_settings(Path("/dev/null"), overrides)
        clock = ManualClock(datetime(2026, 3, 2, 9, 0))
        app = build_app(settings, clock=clock, seed=1)
        app.start()
        app.channels["bench"] = type("Sink", (), {"name": "bench", "send": lambda self, m: None})()

        def stored() -> int:
            with app.db.session() as session:
                return session.execute(text("SELECT COUNT(*) FROM contest_answer")).scalar_one()

        lat1, n1 = run(app, clock, 1, args.members, "a")
        report(f"one group, {args.members} members", lat1, stored(), n1)
        before = stored()
        lat2, n2 = run(app, clock, args.groups, args.per_group, "b")
        report(f"{args.groups} groups x {args.per_group}", lat2, stored() - before, n2)
        all_lat = lat1 + lat2
        report("all", all_lat, stored(), n1 + n2)
        goal = len(all_lat) / sum(all_lat) >= 5000 and sorted(all_lat)[int(len(all_lat) * 0.99) - 1] < 0.005
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS {rss:.0f} MB; goal (>= 5,000 answers/s, p99 < 5 ms, < 150 MB): "
              f"{'met' if goal and rss < 150 else 'NOT met'}")
        app.close()


if __name__ == "__main__":
    main()
