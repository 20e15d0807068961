"""Schema benchmark: what making and upgrading the schema costs (bot/storage/schema.py, docs/migrations.md).

- a new SQLite database made at the newest revision (what every test that builds an app pays);
- opening a database already at it (what every start and every command pays);
- a database from before Alembic brought up to the newest revision: one at schema_version 11 (only 0001 stamped
  on it: indexes checked, the ledger's guard) and one at schema_version 6 (step 7 gives each ledger entry its
  category and rebuilds the totals by category), each with 100,000 members and 1,000,000 ledger rows by default.

    .venv/bin/python bench/schema.py
    .venv/bin/python bench/schema.py --members 2000 --rows 20000 --repeat 20   # quick
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from common import build  # noqa: I001 - also puts the project on sys.path

from bot.storage.db import Database


def timed(make: Callable[[int], None], repeat: int) -> list[float]:
    samples = []
    for number in range(repeat):
        started = time.perf_counter()
        make(number)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def fresh_and_open(where: Path, repeat: int) -> None:
    def fresh(number: int) -> None:
        db = Database(f"sqlite:///{where}/fresh{number}.db")
        db.create_schema()
        db.dispose()

    def reopen(number: int) -> None:
        db = Database(f"sqlite:///{where}/fresh{number}.db")
        db.create_schema()
        db.dispose()

    fresh(-1)  # the first pays for imports and the revisions' files
    made, opened = timed(fresh, repeat), timed(reopen, repeat)
    print(f"new database at the newest revision: median {statistics.median(made):.1f} ms, min {min(made):.1f} ms")
    print(f"open a database at the newest revision: median {statistics.median(opened):.1f} ms, "
          f"min {min(opened):.1f} ms")


def from_before_alembic(where: Path, version: int, members: int, rows: int) -> None:
    url = f"sqlite:///{where}/v{version}.db"
    db = Database(url)
    db.create_schema()
    build(db, members=members, branches=200, rows=rows, today=date(2026, 12, 1), seed=1, categories=version >= 7)
    with db.engine.begin() as conn:  # as studybot left it at that version: no revision
        conn.exec_driver_sql("DROP TABLE alembic_version")
        if version < 10:
            for table, index in (("points_total", "ix_points_total_branch"), ("study_read", "ix_study_read_branch")):
                conn.exec_driver_sql(f"DROP INDEX {index}")
                conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN branch_id")
        if version < 7:
            conn.exec_driver_sql("DROP TRIGGER points_ledger_no_update")
            conn.exec_driver_sql("DROP TRIGGER points_ledger_no_delete")
            for column in ("category", "withheld", "note"):
                conn.exec_driver_sql(f"ALTER TABLE points_ledger DROP COLUMN {column}")
        conn.exec_driver_sql(f"UPDATE schema_version SET version = {version}")
    db.dispose()
    upgraded = Database(url)
    started = time.perf_counter()
    upgraded.create_schema()
    seconds = time.perf_counter() - started
    assert upgraded.schema().up_to_date
    upgraded.dispose()
    print(f"schema_version {version} -> newest revision, {members:,} members and {rows:,} ledger rows: {seconds:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000, help="ledger rows")
    parser.add_argument("--repeat", type=int, default=50, help="databases made and opened")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        fresh_and_open(where, args.repeat)
        for version in (11, 6):
            from_before_alembic(where, version, args.members, args.rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
