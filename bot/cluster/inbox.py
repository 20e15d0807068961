"""The inbox: messages a standby verified and took, waiting for the leader (who holds the contests in memory).
The standby writes the message and answers the platform at once; the leader claims rows with SKIP LOCKED,
handles them as if they had come to it and sends the replies actively, then deletes the rows. A leader that dies
after handling one and before deleting it leaves it to be claimed again: the dispatcher's handled-message ids
(bot/storage/dedupe.py) stop a second handling."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from bot.messages import Chat, Incoming, Sender
from bot.storage.fast import DriverStatement

__all__ = ["to_json", "from_json", "take", "claim", "done", "Claimed"]

_TAKE = DriverStatement(
    "INSERT INTO inbox (channel, message_id, payload, taken_by, created_at) "
    "VALUES (:channel, :message_id, :payload, :taken_by, now()) ON CONFLICT (channel, message_id) DO NOTHING")
_CLAIM = DriverStatement(
    "UPDATE inbox SET claimed_by = :holder, lease_until = now() + make_interval(secs => :seconds) "
    "WHERE id IN (SELECT id FROM inbox WHERE lease_until IS NULL OR lease_until < now() ORDER BY id "
    "LIMIT :limit FOR UPDATE SKIP LOCKED) "
    "AND EXISTS (SELECT 1 FROM leader_lease WHERE name = :lease AND holder = :holder AND epoch = :epoch "
    "AND expires_at > now()) "
    "RETURNING id, payload, EXTRACT(EPOCH FROM clock_timestamp() - created_at)")
_DONE = DriverStatement("DELETE FROM inbox WHERE id = ANY(:ids) AND claimed_by = :holder")


def _plain(value: Any) -> bool:
    """A reply handle that JSON keeps as it is (a URL, a dict of strings); anything else is not carried over."""
    try:
        return json.loads(json.dumps(value)) == value
    except (TypeError, ValueError):
        return False


def to_json(incoming: Incoming) -> str:
    chat, sender = incoming.chat, incoming.sender
    return json.dumps({"chat": [chat.channel, chat.chat_id, chat.is_group, chat.name],
                       "sender": [sender.user_id, sender.name], "text": incoming.text,
                       "message_id": incoming.message_id, "received_at": incoming.received_at.isoformat(),
                       "mentioned": incoming.mentioned, "button": incoming.button,
                       "question_key": incoming.question_key, "member_id": incoming.member_id,
                       "reply_handle": incoming.reply_handle if _plain(incoming.reply_handle) else None},
                      ensure_ascii=False)


def from_json(text: str) -> Incoming:
    data = json.loads(text)
    channel, chat_id, is_group, name = data["chat"]
    return Incoming(Chat(channel, chat_id, bool(is_group), name), Sender(*data["sender"]), data["text"],
                    data["message_id"], datetime.fromisoformat(data["received_at"]), mentioned=data["mentioned"],
                    button=data["button"], question_key=data["question_key"], reply_handle=data["reply_handle"],
                    member_id=data["member_id"])


def take(conn: Connection, incoming: Incoming, taken_by: str) -> bool:
    """Store the message for the leader; False when it was stored before (a platform's retry)."""
    return _TAKE.execute(conn, {"channel": incoming.channel, "message_id": incoming.message_id[:200],
                                "payload": to_json(incoming), "taken_by": taken_by}) > 0


@dataclass(frozen=True)
class Claimed:
    id: int
    incoming: Incoming
    waited: float  # seconds since the standby took it


def claim(conn: Connection, *, holder: str, epoch: int, lease: str, seconds: float, limit: int = 100) -> list[Claimed]:
    rows = _CLAIM.rows(conn, {"holder": holder, "seconds": seconds, "limit": limit, "lease": lease, "epoch": epoch})
    return sorted((Claimed(row[0], from_json(row[1]), float(row[2])) for row in rows), key=lambda c: c.id)


def done(conn: Connection, *, ids: list[int], holder: str) -> None:
    if ids:
        _DONE.execute(conn, {"ids": ids, "holder": holder})
