"""What a handler knows about the message it is handling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.messages import Chat, Incoming, Outgoing

__all__ = ["MemberInfo", "GroupInfo", "Context"]


@dataclass(frozen=True)
class MemberInfo:
    id: int
    name: str
    branch_id: int | None
    role: str

    @property
    def is_manager(self) -> bool:
        return self.role in ("secretary", "committee", "admin")


@dataclass(frozen=True)
class GroupInfo:
    id: int
    chat: Chat
    name: str
    branch_id: int | None


@dataclass
class Context:
    session: Session
    incoming: Incoming
    member: MemberInfo
    group: GroupInfo | None
    now: datetime
    args: list[str]

    def reply(self, text: str, **extra) -> Outgoing:
        return Outgoing(chat=self.incoming.chat, text=text, **extra)
