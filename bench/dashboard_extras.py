"""What bench/dashboard.py adds to its big database for /study and /audit, on a new or a reused one (once)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import text

__all__ = ["extras"]


def extras(db_path: Path, today, branches: int, members: int) -> None:
    """What /study and /audit read, added once to a new or reused database (marked by their bench keys): 5 study
    items pushed to every branch's group over the past weeks, each read by about a fifth of the members, and
    2,000 audit lines. The contests /contests lists are the ones bench/answers.py plays (each run adds 40)."""
    from bot.storage.db import Database

    db = Database(f"sqlite:///{db_path}")
    day = datetime.combine(today, datetime.min.time())
    stamp = "%Y-%m-%d %H:%M:%S.%f"
    with db.engine.begin() as conn:
        if not conn.execute(text("SELECT COUNT(*) FROM outbox WHERE key LIKE 'bench:study:%'")).scalar_one():
            conn.execute(text(
                "INSERT INTO outbox (key, kind, channel, chat_id, chat_name, is_group, text, item_id, branch_id, "
                "due_at, created_at, status, attempts, unconfirmed, sent_at, last_error) VALUES (:k, 'study', "
                "'bench', :chat, :chat, 1, '学习资料', :item, :b, :t, :t, 'sent', 1, 0, :t, '')"),
                [{"k": f"bench:study:{i}:{b}", "chat": f"g{b}", "item": f"bench-item-{i}", "b": b,
                  "t": (day - timedelta(days=7 * i + 1)).strftime(stamp)}
                 for i in range(5) for b in range(1, branches + 1)])
            conn.execute(text("INSERT INTO study_read (member_id, item_id, read_at, branch_id) VALUES (:m, :i, :t, "
                              "(SELECT branch_id FROM member WHERE id = :m))"),
                         [{"m": m, "i": f"bench-item-{i}", "t": (day - timedelta(days=7 * i)).strftime(stamp)}
                          for i in range(5) for m in range(1 + i, members + 1, 5)])
        if not conn.execute(text("SELECT COUNT(*) FROM web_audit WHERE detail LIKE 'bench:%'")).scalar_one():
            conn.execute(text("INSERT INTO web_audit (member_id, action, detail, at) VALUES (:m, :a, :d, :t)"),
                         [{"m": 1 + n * 37 % members, "a": ("login", "export", "import")[n % 3],
                           "d": f"bench: 第{n}条", "t": (day - timedelta(minutes=17 * n)).strftime(stamp)}
                          for n in range(2000)])
    db.dispose()
