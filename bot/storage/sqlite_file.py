"""Which file a SQLite database.url names: what the lock, the backup and the restore work on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = ["sqlite_file"]


def sqlite_file(url: str) -> Path | None:
    """The file `url` names; None for an in-memory database, a `file:` URI (tests' shared memory), another kind of
    database, or a URL that is not valid (opening it says what is wrong)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)
