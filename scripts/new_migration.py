"""Write a new schema revision from what the models define and the newest revision does not make:
    .venv/bin/python scripts/new_migration.py "add the branch's motto"
A scratch SQLite database is brought to the newest revision, Alembic compares it with the models (autogenerate)
and writes bot/storage/migrations/versions/NNNN_<message>.py, numbered after the newest. Read what it wrote: data
to carry over (a column filled from another, a backfill) is yours to add, as is a test; docs/migrations.md."""

from __future__ import annotations

import sys
import tempfile

from alembic import command

from bot.storage.db import Database
from bot.storage.migrations.compare import model_metadata
from bot.storage.schema import MIGRATIONS, alembic_config


def next_number() -> int:
    numbers = [int(path.name[:4]) for path in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")]
    return max(numbers, default=0) + 1


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        db = Database(f"sqlite:///{scratch}/scratch.db")
        db.create_schema()
        with db.engine.connect() as conn:
            config = alembic_config(conn)
            config.attributes["metadata"] = model_metadata()
            written = command.revision(config, message=message, autogenerate=True, rev_id=f"{next_number():04d}")
        db.dispose()
    scripts = written if isinstance(written, list) else [written]
    for script in scripts:
        if script is not None:
            print(f"wrote {script.path}")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].strip():
        sys.exit(__doc__)
    main(sys.argv[1])
