"""A contest started in a WeChat branch's virtual group (a plan, `studybot contest start`, a 全委竞赛) has no chat to
post its link in: the branch's 书记 and 委员 are told privately, through the outbox like every private notice, so
they post the live page's link in the branch's WeChat group — once per contest and account (the outbox key). Where
the Official Account sends template messages (wechat_mp.link_template), every member of the branch bound to WeChat
also gets the link itself, one tap from the page."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from bot.services.branch_notice import tell_branch_managers
from bot.services.contests.texts import page_link
from bot.services.context import GroupInfo
from bot.services.h5_groups import H5
from bot.storage.bind_codes import WECHAT_MP
from bot.storage.outbox import Push, enqueue
from bot.storage.people import accounts_in_branch

__all__ = ["tell_secretaries", "tell_members", "notice_text", "member_text"]

log = logging.getLogger(__name__)


def notice_text(group: str, link: str) -> str:
    return f"{group}的竞赛已开始，请把链接发到支部微信群：{link}"


def member_text(group: str, link: str) -> str:
    """Its first line is the template message's title (bot/channels/wechat_mp/template.py)."""
    return f"知识竞赛开始了\n{group}的竞赛正在进行，点开即可答题：{link}"


def tell_secretaries(session: Session, group: GroupInfo, contest_id: int, base: str, now: datetime) -> int:
    """The private notices for a contest in a virtual group (nothing for any other group, or without links);
    how many were written. In the caller's transaction."""
    if group.chat.channel != H5 or not base or group.branch_id is None:
        return 0
    written = tell_branch_managers(session, branch_id=group.branch_id, occasion=f"contest-link:{contest_id}",
                                   text=notice_text(group.name, page_link(base, contest_id)), now=now)
    if written is None:
        log.warning("contest %s started in %s, whose branch has no 书记 or 委员 to give its link", contest_id,
                    group.name)
        return 0
    return written


def tell_members(session: Session, group: GroupInfo, contest_id: int, base: str, now: datetime) -> int:
    """The link for each member of a virtual group's branch bound to the Official Account (nothing for any other
    group, or without links); how many were written. In the caller's transaction."""
    if group.chat.channel != H5 or not base or group.branch_id is None:
        return 0
    link = page_link(base, contest_id)
    pushes = [Push(key=f"contest-page:{contest_id}:{a.member_id}:{a.channel}:{a.external_id}", kind="notice",
                   channel=a.channel, chat_id=a.external_id, chat_name="私聊", is_group=False,
                   text=member_text(group.name, link), due_at=now, branch_id=group.branch_id, link=link)
              for a in accounts_in_branch(session=session, branch_id=group.branch_id, channel=WECHAT_MP)]
    return enqueue(session=session, pushes=pushes, now=now)
