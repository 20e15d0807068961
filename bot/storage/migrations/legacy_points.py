"""Schema 7 (a step from before Alembic, see legacy.py): the 党建积分 categories. Each ledger entry gets its
category (from the reason the bot wrote it with), the points a cap held back and a note; the totals get each
category's periods and days, rebuilt from the ledger so rankings by category and the caps see the points earned
before the upgrade. The table of points by hand (points_request) is made with the other new tables."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from scheduler.points import REASON_CATEGORIES, Category, category_keys

__all__ = ["points_categories"]


def points_categories(conn: Connection) -> None:
    ledger = {column["name"] for column in inspect(conn).get_columns("points_ledger")}
    for column, kind in (("category", "VARCHAR(10) NOT NULL DEFAULT ''"),
                         ("withheld", "INTEGER NOT NULL DEFAULT 0"), ("note", "VARCHAR(200) NOT NULL DEFAULT ''")):
        if column not in ledger:
            conn.exec_driver_sql(f"ALTER TABLE points_ledger ADD COLUMN {column} {kind}")
    if conn.dialect.name == "postgresql":  # SQLite does not enforce a VARCHAR's length
        conn.exec_driver_sql("ALTER TABLE points_total ALTER COLUMN period_key TYPE VARCHAR(24)")
    for reason, category in REASON_CATEGORIES.items():
        conn.execute(_CATEGORY, {"category": category.value, "reason": reason})
    totals: dict[tuple[int, str], int] = defaultdict(int)
    for member, amount, category, at in conn.exec_driver_sql(
            "SELECT member_id, amount, category, created_at FROM points_ledger WHERE category != ''"):
        day = (at if isinstance(at, datetime) else datetime.fromisoformat(str(at))).date()
        for key in category_keys(day, Category(category)):
            totals[member, key] += amount
    conn.execute(text("DELETE FROM points_total WHERE period_key LIKE :per_category"), {"per_category": "%/%"})
    rows = [{"member_id": m, "period_key": k, "points": p} for (m, k), p in totals.items()]
    if rows:
        conn.execute(_TOTAL, rows)


_CATEGORY = text("UPDATE points_ledger SET category = :category WHERE reason = :reason AND category = ''")
_TOTAL = text("INSERT INTO points_total (member_id, period_key, points) VALUES (:member_id, :period_key, :points)")
