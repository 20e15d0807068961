"""A contest started in a WeChat branch's virtual group (a plan, `studybot contest start`, a 全委竞赛) has no chat to
post its link in: the branch's 书记 and 委员 are told privately, through the outbox like every private notice, so
they post the live page's link in the branch's WeChat group — once per contest and account (the outbox key)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from bot.services.branch_notice import tell_branch_managers
from bot.services.contests.texts import page_link
from bot.services.context import GroupInfo
from bot.services.h5_groups import H5

__all__ = ["tell_secretaries", "notice_text"]

log = logging.getLogger(__name__)


def notice_text(group: str, link: str) -> str:
    return f"{group}的竞赛已开始，请把链接发到支部微信群：{link}"


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
