"""How Alembic compares the models with a database (autogenerate, and the test that no model change is left
without a revision): only the tables the models define (APScheduler's job table is its own), column types too,
and SQLModel's AutoString written as the plain String it is, so a revision needs no import of sqlmodel."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData
from sqlmodel.sql.sqltypes import AutoString

__all__ = ["compare_options"]


def compare_options(metadata: MetaData) -> dict[str, Any]:
    def include_name(name: str | None, type_: str, _parents: Any) -> bool:
        return type_ != "table" or name in metadata.tables

    def render_item(type_: str, obj: Any, _context: Any) -> str | bool:
        if type_ == "type" and isinstance(obj, AutoString):
            length = getattr(obj, "length", None)
            return f"sa.String({length})" if length else "sa.String()"
        return False

    # batch mode: SQLite alters a table by copying it, PostgreSQL runs the same script as plain ALTERs
    return {"target_metadata": metadata, "include_name": include_name, "render_item": render_item,
            "compare_type": True, "render_as_batch": True}
