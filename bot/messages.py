"""The channel-neutral message types: every adapter converts to and from these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Any

__all__ = ["Chat", "Sender", "Incoming", "Outgoing", "Priority"]


class Priority(IntEnum):
    """Which message a channel sends first when its rate window is full (lower goes first): a contest's
    question and reveal never wait behind replies, progress lines or study pushes."""
    STEP = 0  # a contest question, a reveal (with the next question), the results
    REPLY = 1  # the answer to a command or a member's message
    PROGRESS = 2  # 「已有 23 人作答，剩余 10 秒」 and the like: may wait
    PUSH = 3  # study pushes, reminders, notices from the outbox


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
    message_id: str  # the platform's id, for dedupe of retries; "" where no platform delivers it (a web page)
    received_at: datetime
    mentioned: bool = True
    button: str | None = None  # payload of a card button the member tapped ("B", "对", "AC")
    # with `button`: which question the tapped card was for (the card's Outgoing.key, "contest:12:q0"), as the
    # adapter read it back from the card; the contest service decides whether the tap counts (stale, repeat)
    question_key: str | None = None
    reply_handle: Any = field(default=None, compare=False)  # session webhook, response_url…
    # the sender as a member id, already known: a member logged in on a web page (bot/web/h5/contest_answer.py)
    # answering a group's contest. Only the web side sets it, never a platform adapter (whose senders are ids
    # on the platform, resolved through their identity)
    member_id: int | None = None

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
    # a note for one member only (their platform user id): "您已作答" after a tap, "该题已结束" for an old card.
    # A channel shows it on that member's card where it can (a card update only they see), and drops it where
    # it cannot: it never goes to the group. `about` is then the question key the note concerns.
    private_to: str = ""
    about: str = ""
    priority: Priority = Priority.REPLY
    # the page the message is about (a contest's live page, the members' pages), also in its text: a channel that
    # can attach a link to a message (the Official Account's template message) makes the message open it
    link: str = ""
