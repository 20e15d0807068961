"""What the bench scripts share: the project on sys.path (they run as plain scripts), the small bank the channel
benches play, and the big ranking database (bench/rank.py, bench/dashboard.py) with percentiles over its timings."""

from __future__ import annotations

import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

BANK = """\
name: 基准题库
questions:
  - type: single
    question: 党的最高领导机关是（）。
    options: [党的全国代表大会和它所产生的中央委员会, 中央政治局, 中央书记处, 中央军事委员会]
    answer: A
  - type: single
    question: 党的根本组织原则是（）。
    options: [民主集中制, 集体领导, 党内民主, 少数服从多数]
    answer: A
"""

_STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a DateTime on SQLite
# with categories: the ledger's reasons as the app writes them, weighted like real use, and their categories
_REASONS = (("contest", "quiz"), ("contest", "quiz"), ("daily", "quiz"), ("daily", "quiz"), ("study", "study"),
            ("study", "study"), ("meeting", "meeting"), ("practice", "quiz"))


def build(db: Any, *, members: int, branches: int, rows: int, today: date, seed: int,
          categories: bool = False, on_rows: Callable[[int], None] | None = None) -> None:
    """Branches, members and `rows` ledger entries over the past year with their points_total rows, written in bulk
    with the app's own keys (scheduler.periods.period_keys; with `categories`, also the ledger's category and
    scheduler.points.category_keys: M2026-11/quiz …, D2026-11-03/quiz, as bot/storage/points.py writes them)."""
    from scheduler.periods import period_keys
    from scheduler.points import Category, category_keys

    rng = random.Random(seed)
    started = time.perf_counter()
    created = datetime.combine(today - timedelta(days=400), datetime.min.time()).strftime(_STAMP)
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.executemany("INSERT INTO branch (id, name) VALUES (?, ?)",
                           [(b, f"第{b}党支部") for b in range(1, branches + 1)])
        cursor.executemany(
            "INSERT INTO member (id, name, branch_id, role, created_at, rostered, category, position, party_group) "
            "VALUES (?, ?, ?, 'member', ?, 1, '', '', '')",
            [(m, f"成员{m:06d}", (m - 1) % branches + 1, created) for m in range(1, members + 1)])
        raw.commit()

        # Activity is skewed like real groups: a minority earns most points, many rarely answer.
        days = [today - timedelta(days=d) for d in range(365)]
        keys_by_day = {day: period_keys(day) for day in days}
        cat_keys = ({(day, c): category_keys(day, Category(c)) for day in days for _, c in _REASONS}
                    if categories else {})
        totals: dict[tuple[int, str], int] = defaultdict(int)
        amounts = (10, 10, 8, 6, 5, 5, 12, 2)
        batch: list[tuple] = []
        insert = ("INSERT INTO points_ledger (member_id, amount, reason, source, created_at, category, withheld, note) "
                  "VALUES (?, ?, ?, ?, ?, ?, 0, '')")
        for i in range(rows):
            member = int(members * rng.random() ** 1.6) + 1
            day = days[rng.randrange(365)]
            amount = amounts[rng.randrange(len(amounts))]
            moment = datetime(day.year, day.month, day.day, 8 + rng.randrange(14), rng.randrange(60), rng.randrange(60))
            reason, category = _REASONS[rng.randrange(len(_REASONS))] if categories else ("contest", "")
            batch.append((member, amount, reason, f"bench:{i}", moment.strftime(_STAMP), category))
            for key in keys_by_day[day] + (cat_keys[day, category] if categories else []):
                totals[member, key] += amount
            if len(batch) == 100_000:
                cursor.executemany(insert, batch)
                batch.clear()
                if on_rows:
                    on_rows(100_000)
        if batch:
            cursor.executemany(insert, batch)
            if on_rows:
                on_rows(len(batch))
        cursor.executemany("INSERT INTO points_total (member_id, period_key, points, branch_id) VALUES (?, ?, ?, ?)",
                           [(m, k, p, (m - 1) % branches + 1) for (m, k), p in totals.items()])
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    print(f"built {members:,} members in {branches} branches, {rows:,} ledger rows, "
          f"{len(totals):,} period totals in {time.perf_counter() - started:.1f} s", flush=True)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def spread_ms(values: list[float]) -> str:
    """first, p50, p99 and last of `values` (seconds), in ms."""
    if not values:
        return "no samples"
    return (f"first {min(values) * 1000:7.0f}  p50 {percentile(values, 50) * 1000:7.0f}  "
            f"p99 {percentile(values, 99) * 1000:7.0f}  last {max(values) * 1000:7.0f} ms")
