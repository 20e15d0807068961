"""The record of handled platform messages, so a platform's retry of one is recognised and dropped.

WeCom retries a callback after 5 s, DingTalk redelivers a frame whose ack came late: the message id is
claimed in the same transaction as the answer it causes, and the unique (channel, message_id) makes a
second delivery claim nothing, on one instance or several. On the hot path of every answer, hence
straight to the driver (bot/storage/fast.py)."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from sqlmodel import Session

from bot.storage.fast import DriverStatement

__all__ = ["claim_message", "claim_messages"]

_CLAIM = DriverStatement("INSERT INTO processed_message (channel, message_id, received_at) "
                         "VALUES (:channel, :id, :at) ON CONFLICT (channel, message_id) DO NOTHING")


def claim_message(*, session: Session, channel: str, message_id: str, now: datetime) -> bool:
    """Record a platform message id; False if it was seen before (a platform retry)."""
    return _CLAIM.execute(session.connection(), {"channel": channel, "id": message_id, "at": now}) == 1


def claim_messages(*, session: Session, messages: list[tuple[str, str, datetime]]) -> set[tuple[str, str]]:
    """Record a batch's (channel, message id, received at) in one statement; the (channel, message id) pairs not
    seen before. A pair twice in the batch is claimed once: the caller handles its first occurrence only."""
    rows = list({(channel, message_id): at for channel, message_id, at in messages}.items())
    if not rows:
        return set()
    conn = session.connection()
    sqlite = conn.dialect.name == "sqlite"
    values: list[object] = []
    for (channel, message_id), at in rows:
        values += [channel, message_id, at.isoformat(" ", "microseconds") if sqlite else at]
    # the driver's own cursor: SQLAlchemy's result rows cost more than the statement here; an error is the
    # driver's, which the batch's caller takes like any other (it handles each message alone then)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(_claim_many(len(rows), "?" if sqlite else "%s"), tuple(values))
        return {(channel, message_id) for channel, message_id in cursor.fetchall()}
    finally:
        cursor.close()


@lru_cache(maxsize=64)
def _claim_many(count: int, mark: str) -> str:
    row = f"({mark}, {mark}, {mark})"
    return (f"INSERT INTO processed_message (channel, message_id, received_at) VALUES {', '.join([row] * count)} "
            "ON CONFLICT (channel, message_id) DO NOTHING RETURNING channel, message_id")
