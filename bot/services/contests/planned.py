"""A study plan's contest (学习计划 with `contest:`), started in a group as if 学习计划 had typed 开始竞赛; and a
全委竞赛 ordered by a plan (`to: all`) or from the command line (`studybot contest start`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import datetime

from bot.messages import Incoming, Outgoing, Sender
from bot.services.contests.rounds import RoundService
from bot.services.contests.service import ContestService
from bot.services.contests.texts import page_link
from bot.services.context import Context, GroupInfo, MemberInfo
from bot.services.h5_groups import branch_of
from bot.services.pushes import Target
from bot.storage.branches import get_or_create_group
from bot.storage.db import Database
from bot.storage.people import find_member, register_member
from content.plans import PlanEntry

__all__ = ["start_planned", "RoundOrder", "start_round"]

log = logging.getLogger(__name__)

PLANNER = ("system", "plan", "学习计划")  # channel, account and name of the member who starts plan contests
COMMITTEE = ("system", "committee", "党委")  # who starts a 全委竞赛 ordered on the command line


@dataclass(frozen=True)
class RoundOrder:
    """A 全委竞赛 to start: by a plan, or from the command line through the job store (as JSON)."""
    bank: str | None = None
    questions: int | None = None
    time_limit: int | None = None
    branches: tuple[str, ...] = ()  # empty: every group
    by_plan: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> RoundOrder:
        data = json.loads(text)
        return cls(data.get("bank"), data.get("questions"), data.get("time_limit"), tuple(data.get("branches", ())),
                   bool(data.get("by_plan")))


def start_round(rounds: RoundService, db: Database, channels: Callable[[], Iterable[str]], order: RoundOrder,
                now: datetime) -> list[Outgoing]:
    """Start the ordered 全委竞赛 in every known group on the app's channels (or the named branches' groups)."""
    channel, account, name = PLANNER if order.by_plan else COMMITTEE
    with db.session() as session:
        starter = find_member(session=session, channel=channel, external_id=account) or register_member(
            session=session, channel=channel, external_id=account, name=name, branch_id=None, now=now)
        groups = rounds.groups(session, list(channels()), order.branches)
        told, messages = rounds.start(session, starter_id=starter.id, starter=name, groups=groups,
                                      bank_name=order.bank, count=order.questions, time_limit=order.time_limit,
                                      now=now)
        session.commit()
    log.info("全委竞赛 ordered by %s: %s", "a plan" if order.by_plan else "the command line", told)
    return messages


def start_planned(contests: ContestService, db: Database, branch_for_group: Callable[[str, str], str],
                  target: Target, entry: PlanEntry, now: datetime) -> list[Outgoing]:
    spec = entry.contest
    assert spec is not None
    channel, account, name = PLANNER
    chat = target.chat  # a branch on WeChat: its virtual group stays in the branch it is named after
    branch = branch_of(chat.channel, chat.chat_id) or branch_for_group(chat.chat_id, chat.name)
    with db.session() as session:
        group = get_or_create_group(session=session, channel=chat.channel, external_id=chat.chat_id, name=chat.name,
                                    branch_name=branch)
        starter = find_member(session=session, channel=channel, external_id=account) or register_member(
            session=session, channel=channel, external_id=account, name=name, branch_id=None, now=now)
        incoming = Incoming(chat=target.chat, sender=Sender(account, name), text="",
                            message_id=f"plan:{entry.id}:{now:%Y%m%d%H%M}", received_at=now)
        ctx = Context(session, incoming, MemberInfo(starter.id, name, None, "admin"),
                      GroupInfo(group.id, target.chat, group.name, group.branch_id), now, [])
        replies = contests.start(ctx, spec.bank, spec.questions, spec.time_limit, scored=True, privately=False)
        session.commit()
    running, base = contests.running(group.id), contests.options.page_links
    if running is not None and base and branch_of(chat.channel, chat.chat_id):  # 书记、委员 are told (page_notice.py)
        log.info("plan %s: contest started for %s, page %s", entry.id, group.name, page_link(base, running.contest_id))
    return replies
