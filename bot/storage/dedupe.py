"""The record of handled platform messages, so a platform's retry of one is recognised and dropped.

WeCom retries a callback after 5 s, DingTalk redelivers a frame whose ack came late: the message id is
claimed in the same transaction as the answer it causes, and the unique (channel, message_id) makes a
second delivery claim nothing, on one instance or several. On the hot path of every answer, hence
straight to the driver (bot/storage/fast.py)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.storage.fast import DriverStatement

__all__ = ["claim_message"]

_CLAIM = DriverStatement("INSERT INTO processed_message (channel, message_id, received_at) "
                         "VALUES (:channel, :id, :at) ON CONFLICT (channel, message_id) DO NOTHING")


def claim_message(*, session: Session, channel: str, message_id: str, now: datetime) -> bool:
    """Record a platform message id; False if it was seen before (a platform retry)."""
    return _CLAIM.execute(session.connection(), {"channel": channel, "id": message_id, "at": now}) == 1
