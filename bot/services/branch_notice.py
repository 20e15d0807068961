"""A note for a branch's 书记 and 委员 alone, in their private chats: through the outbox like every private notice
(at least once, never twice: the key names the occasion and the account), on every platform account they have but
the members' pages (which are no chat). Used when a contest of a WeChat branch starts (contests/page_notice.py) and
when someone asks to be bound to the branch's roster (申请绑定)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.services.h5_groups import H5
from bot.storage.outbox import Push, enqueue
from bot.storage.people import identities_of_members, members_with_role

__all__ = ["tell_branch_managers", "MANAGER_ROLES"]

MANAGER_ROLES = ("secretary", "committee")  # 书记, 委员


def tell_branch_managers(session: Session, *, branch_id: int, occasion: str, text: str, now: datetime) -> int | None:
    """Write the notes; how many were new, or None when the branch has no 书记 or 委员. In the caller's
    transaction. `occasion` makes each note's outbox key (e.g. "contest-link:12")."""
    people = [m.id for role in MANAGER_ROLES for m in members_with_role(session=session, branch_id=branch_id, role=role)
              if m.id is not None]
    if not people:
        return None
    pushes = [Push(key=f"{occasion}:{i.member_id}:{i.channel}:{i.external_id}", kind="notice", channel=i.channel,
                   chat_id=i.external_id, chat_name="私聊", is_group=False, text=text, due_at=now, branch_id=branch_id)
              for i in identities_of_members(session=session, member_ids=people) if i.channel != H5]
    return enqueue(session=session, pushes=pushes, now=now)
