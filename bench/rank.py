"""Ranking benchmark: top 50 plus the asker's own rank must stay under 20 ms.

Builds a throwaway SQLite database (100,000 members in 200 branches, 2,000,000 ledger rows
over the past year by default), then times the queries behind 排行榜 and 支部排行.

    .venv/bin/python bench/rank.py                       # full size
    .venv/bin/python bench/rank.py --members 2000 --rows 20000 --repeat 50   # quick
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import build, percentile  # noqa: I001 - also puts the project on sys.path
from sqlalchemy import text

from bot.clock import SystemClock
from bot.storage.db import Database
from bot.storage.ranking import branch_ranking, member_position, member_ranking
from scheduler.periods import Period, period_key

GOAL_MS = 20.0


def time_case(db: Database, repeat: int, run) -> list[float]:
    for _ in range(3):  # warm the page cache and the statement cache
        with db.session() as session:
            run(session)
    samples = []
    for _ in range(repeat):
        with db.session() as session:
            started = time.perf_counter()
            run(session)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--branches", type=int, default=200)
    parser.add_argument("--rows", type=int, default=2_000_000, help="ledger rows")
    parser.add_argument("--repeat", type=int, default=300, help="timed repetitions per member case")
    parser.add_argument("--branch-repeat", type=int, default=30, help="timed repetitions of branch_ranking")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--db", type=Path, help="reuse/keep the database at this path (built if missing)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN QUERY PLAN for the queries")
    args = parser.parse_args()

    today = SystemClock().now().date()
    with tempfile.TemporaryDirectory(prefix="studybot-bench-") as tmp:
        path = args.db or Path(tmp) / "bench.db"
        fresh = not path.exists()
        db = Database(f"sqlite:///{path}")
        db.create_schema()
        if fresh:
            build(db, members=args.members, branches=args.branches, rows=args.rows, today=today, seed=args.seed)
        rng = random.Random(args.seed + 1)
        with db.session() as session:
            max_id = session.execute(text("SELECT MAX(id) FROM member")).scalar_one()
        if args.explain:
            explain(db, period_key(Period.ALL, today))

        results: list[tuple[str, list[float], bool]] = []
        for period in (Period.ALL, Period.YEAR, Period.QUARTER, Period.MONTH, Period.WEEK):
            key = period_key(period, today)

            def top_and_mine(session, key=key):
                top = member_ranking(session=session, period_key=key, limit=50)
                member_position(session=session, period_key=key, member_id=rng.randint(1, max_id))
                return top

            results.append((f"top50+own {period.value:<7} ({key})", time_case(db, args.repeat, top_and_mine), True))
        for period in (Period.ALL, Period.MONTH, Period.WEEK):
            key = period_key(period, today)
            results.append((f"branch_ranking {period.value:<5} ({key})",
                            time_case(db, args.branch_repeat,
                                      lambda session, key=key: branch_ranking(session=session, period_key=key)),
                            False))
        db.dispose()

    print(f"\n{'case':<36} {'n':>5} {'p50 ms':>9} {'p99 ms':>9}")
    met = True
    for name, samples, goal in results:
        p50, p99 = statistics.median(samples), percentile(samples, 99)
        flag = ""
        if goal:
            ok = p99 < GOAL_MS
            met &= ok
            flag = "ok" if ok else f"MISSED (goal p99 < {GOAL_MS:g} ms)"
        print(f"{name:<36} {len(samples):>5} {p50:>9.2f} {p99:>9.2f}  {flag}")
    print(f"\ngoal (top 50 + own rank under {GOAL_MS:g} ms at p99): {'met' if met else 'MISSED'}")
    return 0 if met else 1


def explain(db: Database, key: str) -> None:
    from bot.storage import ranking

    queries = {"top": (ranking._TOP, {"key": key, "limit": 50}),
               "mine": (ranking._MINE, {"key": key, "member": 1}),
               "ahead": (ranking._AHEAD, {"key": key, "points": 0}),
               "branches": (ranking._BRANCHES, {"key": key})}
    with db.session() as session:
        for name, (query, params) in queries.items():
            print(f"-- {name}")
            for row in session.execute(text(f"EXPLAIN QUERY PLAN {query.text}"), params):
                print("  ", row[-1])


if __name__ == "__main__":
    sys.exit(main())
