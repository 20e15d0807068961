"""A contest started in a WeChat branch's virtual group (a plan, `studybot contest start`, a 全委竞赛) has no chat to
post its link in: the branch's 书记 and 委员 are told privately, through the outbox like every private notice, so
they post the live page's link in the branch's WeChat group — once per contest and account (the outbox key)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from bot.services.contests.texts import page_link
from bot.services.context import GroupInfo
from bot.services.h5_groups import H5
from bot.storage.outbox import Push, enqueue
from bot.storage.people import identities_of_members, members_with_role

__all__ = ["tell_secretaries", "notice_text"]

log = logging.getLogger(__name__)

ROLES = ("secretary", "committee")  # 书记, 委员


def notice_text(group: str, link: str) -> str:
    return f"{group}的竞赛已开始，请把链接发到支部微信群：{link}"


def tell_secretaries(session: Session, group: GroupInfo, contest_id: int, base: str, now: datetime) -> int:
    """The private notices for a contest in a virtual group (nothing for any other group, or without links);
    how many were written. In the caller's transaction."""
    if group.chat.channel != H5 or not base or group.branch_id is None:
        return 0
    people = [m.id for role in ROLES for m in members_with_role(session=session, branch_id=group.branch_id, role=role)
              if m.id is not None]
    if not people:
        log.warning("contest %s started in %s, whose branch has no 书记 or 委员 to give its link", contest_id,
                    group.name)
        return 0
    text = notice_text(group.name, page_link(base, contest_id))
    pushes = [Push(key=f"contest-link:{contest_id}:{i.member_id}:{i.channel}:{i.external_id}", kind="notice",
                   channel=i.channel, chat_id=i.external_id, chat_name="私聊", is_group=False, text=text, due_at=now,
                   branch_id=group.branch_id)
              for i in identities_of_members(session=session, member_ids=people) if i.channel != H5]
    return enqueue(session=session, pushes=pushes, now=now)
