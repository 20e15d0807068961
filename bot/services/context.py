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
    rostered: bool = False  # an imported roster puts them in their branch (a question waits for them)

    @property
    def is_manager(self) -> bool:
        return self.role in ("secretary", "committee", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def manages(self, branch_id: int | None) -> bool:
        """Whether this member may manage `branch_id`'s meetings, pushes and contests: a 管理员 every branch,
        a 书记 or 委员 only the branch the roster puts them in."""
        if self.is_admin:
            return True
        return self.is_manager and branch_id is not None and branch_id == self.branch_id


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

    @property
    def branch_id(self) -> int | None:
        """The branch a manager command acts on: the group's, or in a private chat the sender's own."""
        return self.group.branch_id if self.group is not None else self.member.branch_id

    def reply(self, text: str, **extra) -> Outgoing:
        return Outgoing(chat=self.incoming.chat, text=text, **extra)
