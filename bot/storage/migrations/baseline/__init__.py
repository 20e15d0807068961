"""Revision 0001's schema, frozen: every table as the models stood at studybot's schema_version 11 (the last schema
made without Alembic), written out table by table, and the ledger's guard. Never edited: a later change to the
schema is a revision of its own in ../versions/, so a database made by 0001 is the same whenever it is made."""

from __future__ import annotations

import functools

import sqlalchemy as sa

from bot.storage.migrations.baseline.cluster import add_cluster
from bot.storage.migrations.baseline.ledger_guard import guard_ledger
from bot.storage.migrations.baseline.members_contests_banks import add_members_contests_banks
from bot.storage.migrations.baseline.schedule_records_web import add_schedule_records_web

__all__ = ["baseline_metadata", "guard_ledger", "BASELINE_SCHEMA_VERSION"]

BASELINE_SCHEMA_VERSION = 11  # the schema_version row 0001 leaves: code from before Alembic reads it


@functools.cache  # built once per process: the tables are only read (create_all), and building them costs more
def baseline_metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    add_members_contests_banks(metadata)
    add_schedule_records_web(metadata)
    add_cluster(metadata)
    return metadata
