"""Schema 11: several instances on one PostgreSQL. The outbox says which instance is sending a row and until when
(`claimed_by`, `lease_until`); new tables for the leader's lease and the inbox (bot/storage/models_cluster.py)."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from bot.storage.models_cluster import InboxRow, LeaderLease

__all__ = ["cluster_tables", "CLUSTER_TABLES"]

CLUSTER_TABLES = frozenset({"leader_lease", "inbox"})


def cluster_tables(engine: Engine) -> None:
    columns = {column["name"] for column in inspect(engine).get_columns("outbox")}
    stamp = "TIMESTAMP WITH TIME ZONE" if engine.dialect.name == "postgresql" else "DATETIME"
    with engine.begin() as conn:
        if "claimed_by" not in columns:
            conn.exec_driver_sql("ALTER TABLE outbox ADD COLUMN claimed_by VARCHAR(200)")
        if "lease_until" not in columns:
            conn.exec_driver_sql(f"ALTER TABLE outbox ADD COLUMN lease_until {stamp}")
    SQLModel.metadata.create_all(engine, tables=[LeaderLease.__table__, InboxRow.__table__])  # type: ignore[list-item]
