"""The one road every message takes: dedupe, identify, route, answer; one error boundary."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from bot.messages import Incoming, Outgoing
from bot.router import Router
from bot.services.contests import ContestService
from bot.services.context import Context, GroupInfo, MemberInfo
from bot.services.daily import DailyService
from bot.storage.db import Database
from bot.storage.people import find_member, get_or_create_group, register_member
from bot.storage.points import claim_message

__all__ = ["Dispatcher", "MAX_TEXT"]

log = logging.getLogger(__name__)

# Commands and answers are short; a 100 KB paste is read only this far, so it costs no more than a line.
MAX_TEXT = 2000
APOLOGY = "抱歉，处理您的消息时出了点问题，请稍后再试。如果一直这样，请联系管理员。"


@dataclass
class _Identity:
    member: MemberInfo
    group: GroupInfo | None


class Dispatcher:
    def __init__(self, *, db: Database, router: Router, contests: ContestService, daily: DailyService,
                 branch_for_group: Callable[[str, str], str], clock) -> None:
        self._db, self._router, self._contests, self._daily = db, router, contests, daily
        self._branch_for_group = branch_for_group
        self._clock = clock

    def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Replies to one message; never raises."""
        try:
            return self._handle(incoming)
        except IntegrityError:
            # another delivery of the same message (or the same award) won the race at commit
            log.info("duplicate write for message %s/%s ignored", incoming.channel, incoming.message_id)
            self._contests.forget_all()
            return []
        except OperationalError:
            log.exception("database error while handling %s/%s", incoming.channel, incoming.message_id)
            self._contests.forget_all()
            return [Outgoing(incoming.chat, APOLOGY)]
        except Exception:
            log.exception("error while handling %s/%s", incoming.channel, incoming.message_id)
            return [Outgoing(incoming.chat, APOLOGY)]

    def _handle(self, incoming: Incoming) -> list[Outgoing]:
        text = (incoming.button or incoming.text or "")[:MAX_TEXT].strip()
        now = self._clock.now()
        with self._db.session() as session:
            if not claim_message(session=session, channel=incoming.channel, message_id=incoming.message_id,
                                 now=now):
                log.info("platform retry of %s/%s ignored", incoming.channel, incoming.message_id)
                return []
            who = self._identify(session, incoming, now)
            ctx = Context(session, incoming, who.member, who.group, now, [])
            if text:
                ctx.incoming = _with_text(incoming, text)
                replies = self._route(ctx, text)
            else:
                replies = []
            session.commit()
        return replies

    def _route(self, ctx: Context, text: str) -> list[Outgoing]:
        match = self._router.match(text)
        if match is not None:
            ctx.args = match.args
            return match.command.handler(ctx)
        suggestion = self._router.suggest(text)
        if ctx.group is not None and self._contests.is_running(ctx.group.id):
            question = self._contests.open_question(ctx.group.id)
            # a blank takes any text: a mistyped command is still a command, not an answer
            is_typo = suggestion is not None and question is not None and question.type.value == "blank"
            replies = None if is_typo else self._contests.answer(ctx)
            if replies is not None:
                return replies
        replies = self._daily.answer(ctx)
        if replies is not None:
            return replies
        if suggestion is not None:
            return [ctx.reply(f"没有看懂「{text[:20]}」。您是不是想发送「{suggestion}」？发送「帮助」查看全部命令。")]
        return []  # ordinary chatter in the group: not for the bot

    def _identify(self, session: Session, incoming: Incoming, now) -> _Identity:
        group = None
        branch_id = None
        if incoming.chat.is_group:
            name = incoming.chat.name or incoming.chat.chat_id
            row = get_or_create_group(session=session, channel=incoming.channel, external_id=incoming.chat.chat_id,
                                      name=name, branch_name=self._branch_for_group(incoming.chat.chat_id, name))
            group = GroupInfo(row.id, incoming.chat, row.name, row.branch_id)
            branch_id = row.branch_id
        member = find_member(session=session, channel=incoming.channel, external_id=incoming.sender.user_id)
        if member is None:
            member = register_member(session=session, channel=incoming.channel,
                                     external_id=incoming.sender.user_id,
                                     name=incoming.sender.name or incoming.sender.user_id,
                                     branch_id=branch_id, now=now)
            self._contests.roster_changed(branch_id)
            log.info("registered member %s in branch %s", member.id, branch_id)
        elif member.branch_id is None and branch_id is not None:
            member.branch_id = branch_id  # first seen privately, now in a branch group
            session.add(member)
            self._contests.roster_changed(branch_id)
        return _Identity(MemberInfo(member.id, member.name, member.branch_id, member.role), group)


def _with_text(incoming: Incoming, text: str) -> Incoming:
    if incoming.text == text and incoming.button is None:
        return incoming
    from dataclasses import replace
    return replace(incoming, text=text, button=None)
