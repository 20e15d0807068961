"""A study plan's contest (学习计划 with `contest:`), started in a group as if 学习计划 had typed 开始竞赛."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.messages import Incoming, Outgoing, Sender
from bot.services.contests.service import ContestService
from bot.services.context import Context, GroupInfo, MemberInfo
from bot.services.pushes import Target
from bot.storage.branches import get_or_create_group
from bot.storage.db import Database
from bot.storage.people import find_member, register_member
from content.plans import PlanEntry

__all__ = ["start_planned"]

PLANNER = ("system", "plan", "学习计划")  # channel, account and name of the member who starts plan contests


def start_planned(contests: ContestService, db: Database, branch_for_group: Callable[[str, str], str],
                  target: Target, entry: PlanEntry, now: datetime) -> list[Outgoing]:
    spec = entry.contest
    assert spec is not None
    channel, account, name = PLANNER
    with db.session() as session:
        group = get_or_create_group(session=session, channel=target.chat.channel, external_id=target.chat.chat_id,
                                    name=target.chat.name,
                                    branch_name=branch_for_group(target.chat.chat_id, target.chat.name))
        starter = find_member(session=session, channel=channel, external_id=account) or register_member(
            session=session, channel=channel, external_id=account, name=name, branch_id=None, now=now)
        incoming = Incoming(chat=target.chat, sender=Sender(account, name), text="",
                            message_id=f"plan:{entry.id}:{now:%Y%m%d%H%M}", received_at=now)
        ctx = Context(session, incoming, MemberInfo(starter.id, name, None, "admin"),
                      GroupInfo(group.id, target.chat, group.name, group.branch_id), now, [])
        replies = contests.start(ctx, spec.bank, spec.questions, spec.time_limit, scored=True)
        session.commit()
    return replies
