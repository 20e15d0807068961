"""The channel-neutral message types: every adapter converts to and from these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["Chat", "Sender", "Incoming", "Outgoing"]


@dataclass(frozen=True)
class Chat:
    """Where a message comes from or goes to: a group, or a private chat with one person."""
    channel: str
    chat_id: str  # group id, or the member's platform user id for a private chat
    is_group: bool
    name: str = ""


@dataclass(frozen=True)
class Sender:
    user_id: str
    name: str


@dataclass(frozen=True)
class Incoming:
    chat: Chat
    sender: Sender
    text: str
    message_id: str  # the platform's id, for dedupe of retries
    received_at: datetime
    mentioned: bool = True
    button: str | None = None  # payload of a card button the member tapped
    reply_handle: Any = field(default=None, compare=False)  # session webhook, response_url…

    @property
    def channel(self) -> str:
        return self.chat.channel


@dataclass(frozen=True)
class Outgoing:
    chat: Chat
    text: str
    markdown: str | None = None
    choices: tuple[str, ...] = ()  # buttons where the platform has them, "回复 A/B" text where not
    multiple: bool = False  # several choices may be picked (多选): a vote card rather than buttons
    mentions: tuple[str, ...] = ()  # platform user ids
    key: str = ""  # idempotency key for the outbox; a question's key names it ("contest:12:q0")
    closes: str = ""  # the key of the question this message reveals: a channel may update its card
    answer: str = ""  # with `closes`: the correct answer as members see it ("B", "对")
