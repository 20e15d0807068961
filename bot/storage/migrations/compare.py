"""How Alembic compares the models with a database (autogenerate, and the test that no model change is left
without a revision): every table a module of bot/storage defines, and only those (APScheduler's job table is its
own), column types too, and SQLModel's AutoString written as the plain String it is, so a revision needs no import
of sqlmodel."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from sqlalchemy import MetaData
from sqlmodel import SQLModel
from sqlmodel.sql.sqltypes import AutoString

__all__ = ["compare_options", "model_metadata"]


def model_metadata() -> MetaData:
    """SQLModel's metadata with every table model of bot/storage in it: each module is imported, since a model is
    registered only when its module is (the DingTalk tables, say, only by the DingTalk channel)."""
    import bot.storage

    for module in pkgutil.walk_packages(bot.storage.__path__, "bot.storage."):
        if not module.name.startswith("bot.storage.migrations"):  # env.py runs Alembic when imported
            importlib.import_module(module.name)
    return SQLModel.metadata


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
