"""Whether database.url names a SQLite file that is not there: SQLite creates a missing file (and the CLI its
folders) on first use, so a command that only reads, run with a mistyped path, would make an empty database and
report ✅ or 「暂无积分记录」 from it. Such commands refuse instead; `run`, `chat` and the imports create it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["missing_database"]


def missing_database(url: str) -> str | None:
    """The line that refuses `url` when it is a SQLite file that does not exist; None when it exists, is in memory,
    or is not SQLite (a PostgreSQL server says itself whether the database exists), or when the URL is not valid
    (opening it then says what is wrong)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or Path(database).exists():
        return None
    return (f"数据库文件 {database} 不存在（database.url）。请先运行 studybot run 或 studybot chat 创建，"
            "或检查路径")
