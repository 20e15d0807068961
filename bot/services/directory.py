"""Who sent a message and in which group: resolved once, then served from memory.

Every answer needs the sender's member id and the group's branch; looking them up in
the database each time would double the cost of an answer. Entries expire after a few
minutes so a roster import made by another process (a new role or branch) shows up. The size of each
branch (a contest question closes early once all of its members have answered) is kept the same way,
for a minute."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.messages import Incoming
from bot.services.context import GroupInfo, MemberInfo
from bot.storage.branches import get_or_create_group
from bot.storage.people import branch_roster_size, find_member, member_row, register_member, rostered_count
from safeio.names import clean_name

__all__ = ["Directory", "BranchCount"]

UNNAMED_BRANCH = "未命名支部"  # a group whose title has nothing a name can keep
_TTL = timedelta(minutes=5)
_SIZE_TTL = timedelta(minutes=1)
_MAX_ENTRIES = 200_000


@dataclass(frozen=True)
class BranchCount:
    known: int  # every member the bot knows in the branch (the roster's and those seen writing): the group's size
    rostered: int  # those an imported roster puts there: whom a contest question waits for


class Directory:
    def __init__(self, *, branch_for_group: Callable[[str, str], str]) -> None:
        self._branch_for_group = branch_for_group
        self._members: dict[tuple[str, str], tuple[datetime, MemberInfo]] = {}
        self._groups: dict[tuple[str, str], tuple[datetime, GroupInfo]] = {}
        self._sizes: dict[int | None, tuple[datetime, BranchCount]] = {}

    def clear(self) -> None:
        self._members.clear()
        self._groups.clear()
        self._sizes.clear()

    def branch_count(self, session: Session, branch_id: int | None, now: datetime) -> BranchCount:
        """Members of the branch, recounted at least once a minute: a roster import made by another
        process while a contest runs is seen."""
        cached = self._sizes.get(branch_id)
        if cached is None or now - cached[0] > _SIZE_TTL:
            count = BranchCount(known=branch_roster_size(session=session, branch_id=branch_id),
                                rostered=rostered_count(session=session, branch_id=branch_id))
            cached = (now, count)
            self._sizes[branch_id] = cached
        return cached[1]

    def group(self, session: Session, incoming: Incoming, now: datetime) -> GroupInfo | None:
        if not incoming.chat.is_group:
            return None
        key = (incoming.channel, incoming.chat.chat_id)
        cached = self._groups.get(key)
        if cached and now - cached[0] < _TTL:
            return cached[1]
        name = incoming.chat.name or incoming.chat.chat_id
        # an unmapped group's title is its branch's name: one that could not be (「a/b」, 「..」, too long) is
        # cleaned rather than the message dropped (safeio/names.py)
        branch = clean_name(self._branch_for_group(incoming.chat.chat_id, name), UNNAMED_BRANCH)
        # a message without the group's name (a DingTalk tap on a card the adapter no longer knows) leaves a
        # known group as it is: its name, and the branch that name maps to, are not the conversation id's
        row = get_or_create_group(session=session, channel=incoming.channel, external_id=incoming.chat.chat_id,
                                  name=name, branch_name=branch, rename=bool(incoming.chat.name))
        info = GroupInfo(row.id, incoming.chat, row.name, row.branch_id)
        self._remember(self._groups, key, (now, info))
        return info

    def member(self, session: Session, incoming: Incoming, group: GroupInfo | None, now: datetime) -> MemberInfo:
        """The sender; registered on first contact as a member of the group's branch. A sender known by member
        id (logged in on a web page) is that member, as the roster has them."""
        if incoming.member_id is not None:
            return self._known(session, incoming.member_id, now)
        key = (incoming.channel, incoming.sender.user_id)
        cached = self._members.get(key)
        branch_id = group.branch_id if group else None
        if cached and now - cached[0] < _TTL and (cached[1].branch_id is not None or branch_id is None):
            return cached[1]
        member = find_member(session=session, channel=incoming.channel, external_id=incoming.sender.user_id)
        if member is None:
            member = register_member(session=session, channel=incoming.channel, external_id=incoming.sender.user_id,
                                     name=incoming.sender.name or incoming.sender.user_id, branch_id=branch_id,
                                     now=now)
            self._sizes.pop(branch_id, None)
        elif member.branch_id is None and branch_id is not None:
            member.branch_id = branch_id  # first seen privately, now in a branch group
            session.add(member)
            session.flush()
            self._sizes.pop(branch_id, None)
        info = MemberInfo(member.id, member.name, member.branch_id, member.role, bool(member.rostered))
        self._remember(self._members, key, (now, info))
        return info

    def _known(self, session: Session, member_id: int, now: datetime) -> MemberInfo:
        key = ("#member", str(member_id))
        cached = self._members.get(key)
        if cached and now - cached[0] < _TTL:
            return cached[1]
        row = member_row(session=session, member_id=member_id)
        if row is None:
            raise LookupError(f"member {member_id} is gone")
        info = MemberInfo(*row)
        self._remember(self._members, key, (now, info))
        return info

    @staticmethod
    def _remember(cache: dict, key, value) -> None:
        if len(cache) >= _MAX_ENTRIES:
            cache.clear()
        cache[key] = value
