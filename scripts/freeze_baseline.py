"""Write revision 0001's frozen tables (bot/storage/migrations/baseline/) from the models as they stand:
    .venv/bin/python scripts/freeze_baseline.py
Only while 0001 is not yet released: it is how a schema change made the old way (create_all at start, a step in
migrations/legacy.py) on a branch merged before Alembic is folded into 0001. Once a database may have been made by
0001, its tables are never written again: a change is a new revision (scripts/new_migration.py)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlmodel import SQLModel

from bot.storage.migrations.compare import model_metadata

BASELINE = Path(__file__).resolve().parent.parent / "bot" / "storage" / "migrations" / "baseline"
# module -> (the file's docstring, its function, the model modules whose tables it holds)
FILES = {
    "members_contests_banks": (
        "Revision 0001, frozen: the members, groups, contests, points, banks and their statistics as the models\n"
        "stood at studybot's last schema before Alembic. Never edited: a change is a new revision.",
        "add_members_contests_banks", ("bot.storage.models",)),
    "schedule_records_web": (
        "Revision 0001, frozen: the outbox, study reads and pushes, meetings and their records, points by hand, the\n"
        "dashboard's tables and the members' binding, metered calls and the cards sent, as the models stood at\n"
        "studybot's last schema before Alembic. Never edited: a change is a new revision.",
        "add_schedule_records_web", ("bot.storage.models_schedule", "bot.storage.models_records",
                                     "bot.storage.models_points", "bot.storage.models_web", "bot.storage.metered",
                                     "bot.storage.cards_sent")),
    "cluster": (
        "Revision 0001, frozen: the tables of several instances on one PostgreSQL (the leader's lease, the inbox) as\n"
        "the models stood at studybot's last schema before Alembic. Never edited: a change is a new revision.",
        "add_cluster", ("bot.storage.models_cluster",)),
}


def quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def type_of(kind: sa.types.TypeEngine) -> str:
    if isinstance(kind, sa.TypeDecorator):  # SQLModel's AutoString: a String
        kind = kind.impl_instance
    if isinstance(kind, sa.String) and not isinstance(kind, sa.Text):
        return f"sa.String({kind.length})" if kind.length else "sa.String()"
    if isinstance(kind, sa.DateTime) and kind.timezone:
        return "sa.DateTime(timezone=True)"
    return f"sa.{type(kind).__name__}()"


def column_of(column: sa.Column) -> str:
    parts = [quoted(column.name), type_of(column.type)]
    parts += [f"sa.ForeignKey({quoted(key.target_fullname)})" for key in column.foreign_keys]
    if column.primary_key:
        parts.append("primary_key=True")
    elif not column.nullable:
        parts.append("nullable=False")
    if column.server_default is not None:
        parts.append(f"server_default={quoted(str(column.server_default.arg))}")  # type: ignore[attr-defined]
    return f"sa.Column({', '.join(parts)})"


def index_of(index: sa.Index) -> str:
    parts = [quoted(index.name or ""), *(quoted(column.name) for column in index.columns)]
    if index.unique:
        parts.append("unique=True")
    for key, value in sorted(index.dialect_kwargs.items()):
        if value is not None:
            parts.append(f"{key}=sa.text({quoted(str(value))})")
    return f"sa.Index({', '.join(parts)})"


def table_of(table: sa.Table) -> list[str]:
    items = [column_of(column) for column in table.columns]
    uniques = [c for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
    items += [f"sa.UniqueConstraint({', '.join(quoted(c.name) for c in unique.columns)})"
              for unique in sorted(uniques, key=lambda u: [c.name for c in u.columns])]
    items += [index_of(index) for index in sorted(table.indexes, key=lambda i: i.name or "")]
    items += [f"{key}={value!r}" for key, value in table.kwargs.items()]
    lines = [f"    sa.Table({quoted(table.name)}, metadata,"]
    for number, item in enumerate(items):
        lines += wrapped(f"             {item}{',' if number < len(items) - 1 else ')'}")
    return lines


def wrapped(line: str, width: int = 120) -> list[str]:
    """A line too long broken after its commas, the rest under its first argument (a Chinese character counts
    twice, as ruff counts it)."""
    if len(line) + sum(ord(c) > 0x2E80 for c in line) <= width:
        return [line]
    indent = " " * (line.index("(") + 1)
    lines, current = [], ""
    for part in line.split(", "):
        candidate = f"{current}, {part}" if current else part
        if current and len(candidate) > width:
            lines.append(current + ",")
            current = indent + part
        else:
            current = candidate
    return [*lines, current]


def main() -> None:
    metadata = model_metadata()
    modules = {mapper.local_table.name: mapper.class_.__module__ for mapper in SQLModel._sa_registry.mappers}
    written: set[str] = set()
    for name, (doc, function, sources) in FILES.items():
        tables = [t for t in metadata.tables.values() if modules.get(t.name) in sources]
        written |= {t.name for t in tables}
        body = [line for table in tables for line in table_of(table)]
        (BASELINE / f"{name}.py").write_text(
            f'"""{doc}"""\n\nfrom __future__ import annotations\n\nimport sqlalchemy as sa\n\n'
            f'__all__ = ["{function}"]\n\n\ndef {function}(metadata: sa.MetaData) -> None:\n'
            + "\n".join(body) + "\n", encoding="utf-8")
        print(f"wrote {name}.py: {len(tables)} tables")
    missing = set(metadata.tables) - written
    if missing:
        raise SystemExit(f"tables of no file (add their module to FILES): {', '.join(sorted(missing))}")


if __name__ == "__main__":
    main()
