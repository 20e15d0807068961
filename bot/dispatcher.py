"""The one road every message takes: dedupe, identify, route, answer; one error boundary."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from bot.clock import Clock
from bot.guards import refusal
from bot.messages import Incoming, Outgoing
from bot.router import Router
from bot.services.context import Context
from bot.services.directory import Directory
from bot.storage import deferred
from bot.storage.db import Database, is_busy
from bot.storage.dedupe import claim_message, claim_messages
from safeio.text import encodable, plain_text

__all__ = ["Dispatcher", "MAX_TEXT"]

log = logging.getLogger(__name__)

# Commands and answers are short; a 100 KB paste is read only this far, so it costs no more than a line.
MAX_TEXT = 2000
# Seconds between tries of a message that met a busy database (an import beside the bot, another instance):
# the member's answer is stored a moment late rather than lost with an apology. Each try may also wait up to
# database.busy_timeout for the lock; the pauses block the loop, as SQLite's own wait already does, so they
# are short.
BUSY_PAUSES = (0.05, 0.2, 0.5)
APOLOGY = "抱歉，处理您的消息时出了点问题，请稍后再试。如果一直这样，请联系管理员。"


class Dispatcher:
    """`on_rollback`: what must forget its in-memory state when a message's transaction fails to commit
    (the contests under way), so that it is reloaded from the database."""

    def __init__(self, *, db: Database, router: Router, directory: Directory, clock: Clock,
                 on_rollback: Callable[[], None]) -> None:
        self._db, self._router, self._directory, self._clock = db, router, directory, clock
        self._on_rollback = on_rollback

    def handle(self, incoming: Incoming) -> list[Outgoing]:
        """Replies to one message; never raises. A busy database is tried again (BUSY_PAUSES): nothing was
        committed, so the message is handled afresh, at the time it first arrived."""
        return self._alone(incoming, self._clock.now())

    def _alone(self, incoming: Incoming, now: datetime) -> list[Outgoing]:
        incoming = _encodable(incoming)
        pauses = iter(BUSY_PAUSES)
        while True:
            try:
                return self._handle(incoming, now)
            except IntegrityError:
                # another delivery of the same message (or the same award) won the race at commit
                log.info("duplicate write for message %s/%s ignored", incoming.channel, incoming.message_id)
                self._forget()
                return []
            except OperationalError as exc:
                self._forget()
                pause = next(pauses, None) if is_busy(exc) else None
                if pause is None:
                    log.exception("database error while handling %s/%s", incoming.channel, incoming.message_id)
                    return [Outgoing(incoming.chat, APOLOGY)]
                log.warning("database busy while handling %s/%s; trying again in %.2f s", incoming.channel,
                            incoming.message_id, pause)
                self._clock.pause(pause)
            except Exception:
                log.exception("error while handling %s/%s", incoming.channel, incoming.message_id)
                return [Outgoing(incoming.chat, APOLOGY)]

    def forget_directory(self) -> None:
        """Read who is who from the database again (a roster was imported by this process)."""
        self._directory.clear()

    def _forget(self) -> None:
        """After a failed commit, memory may hold what the database does not: reload it."""
        self._directory.clear()
        self._on_rollback()

    def handle_many(self, incomings: list[Incoming]) -> list[list[Outgoing]]:
        """Replies to several messages handled in one transaction, one commit (the live contest page's answers, a
        few milliseconds' worth at a time); each at the time it arrived (`received_at`). Nothing is replied before
        the commit: if the batch fails (one bad message, a commit the database refused), nothing of it is kept,
        memory is reloaded and each message is handled alone, as `handle` would, at the time it arrived: the good
        ones are stored, the bad one gets its apology, a busy database is waited for."""
        try:
            with self._db.message_session() as session:
                deferred.defer_writes(session)  # the answers' rows: one executemany before the commit
                incomings = [_encodable(incoming) for incoming in incomings]
                claimed = claim_messages(session=session, messages=[
                    (incoming.channel, incoming.message_id, incoming.received_at) for incoming in incomings
                    if incoming.message_id])  # none to claim without an id (see _in)
                replies = []
                for incoming in incomings:
                    key = (incoming.channel, incoming.message_id)
                    replies.append(self._in(session, incoming, incoming.received_at,
                                            claimed=not incoming.message_id or key in claimed))
                    claimed.discard(key)  # the same message again later in the batch is a platform retry
                deferred.write(session)
                session.commit()
            return replies
        except Exception as exc:
            log.info("a batch of %d messages failed (%s); each is handled alone", len(incomings), exc)
            self._forget()
            return [self._alone(incoming, incoming.received_at) for incoming in incomings]

    def _handle(self, incoming: Incoming, now: datetime) -> list[Outgoing]:
        with self._db.message_session() as session:
            replies = self._in(session, incoming, now)
            session.commit()
        return replies

    def _in(self, session: Session, incoming: Incoming, now: datetime, claimed: bool | None = None) -> list[Outgoing]:
        """`claimed`: whether the batch's claim took this message's id (None: claim it here)."""
        # 「开始\u200b竞赛」 is 开始竞赛, 「ＡＢ」 is AB: text is read as it looks
        text = plain_text((incoming.button or incoming.text or "")[:MAX_TEXT]).strip()
        # no message id: no platform delivery that could come again (the live contest page's answers, which the
        # contest's one-answer-per-member rule and its unique key guard), so nothing to claim
        if claimed is None:
            claimed = not incoming.message_id or claim_message(session=session, channel=incoming.channel,
                                                               message_id=incoming.message_id, now=now)
        if not claimed:
            log.info("platform retry of %s/%s ignored", incoming.channel, incoming.message_id)
            return []
        group = self._directory.group(session, incoming, now)
        member = self._directory.member(session, incoming, group, now)
        ctx = Context(session, incoming, member, group, now, [])
        if not text:
            return []
        ctx.incoming = _with_text(incoming, text)
        return self._route(ctx, text)

    def _route(self, ctx: Context, text: str) -> list[Outgoing]:
        for interceptor in self._router.interceptors:  # a dialogue under way comes before the commands
            replies = interceptor(ctx)
            if replies is not None:
                return replies
        # a tap on a card is an answer, never a command (a card's button reads 「对」, not 「帮助」)
        match = self._router.match(text) if ctx.incoming.button is None else None
        if match is not None:
            ctx.args = match.args
            if match.command.chatter is not None and match.command.chatter(ctx):
                return []
            refused = refusal(match.command, ctx)
            return [ctx.reply(refused)] if refused else match.command.handler(ctx)
        for catcher in self._router.catchers:  # contest answers, 错题练习, 每日一题: in the order added
            replies = catcher(ctx)
            if replies is not None:
                return replies
        if ctx.group is not None and not ctx.incoming.mentioned:
            return []  # group chatter that did not @ the bot is not for it: no "did you mean"
        suggestion = self._router.suggest(text)
        if suggestion is not None:
            return [ctx.reply(f"没有看懂「{text[:20]}」。您是不是想发送「{suggestion}」？发送「帮助」查看全部命令。")]
        return []  # ordinary chatter in the group: not for the bot


def _encodable(incoming: Incoming) -> Incoming:
    """A platform's JSON may carry lone surrogates (\\ud800) in any field: stored, they would fail the commit and
    cost the member an apology; as U+FFFD they are stored and read like any other character."""
    fields = (incoming.chat.chat_id, incoming.chat.name, incoming.sender.user_id, incoming.sender.name,
              incoming.text, incoming.message_id, incoming.button or "", incoming.question_key or "")
    joined = "\0".join(fields)  # one scan of every field: this runs for every message
    if encodable(joined) == joined:
        return incoming
    return replace(incoming, chat=replace(incoming.chat, chat_id=encodable(incoming.chat.chat_id),
                                          name=encodable(incoming.chat.name)),
                   sender=replace(incoming.sender, user_id=encodable(incoming.sender.user_id),
                                  name=encodable(incoming.sender.name)),
                   text=encodable(incoming.text), message_id=encodable(incoming.message_id),
                   button=None if incoming.button is None else encodable(incoming.button),
                   question_key=None if incoming.question_key is None else encodable(incoming.question_key))


def _with_text(incoming: Incoming, text: str) -> Incoming:
    """The message with its text cut and stripped; a tap keeps its (stripped) choice as `button` too."""
    button = None if incoming.button is None else text
    if incoming.text == text and incoming.button == button:
        return incoming
    return replace(incoming, text=text, button=button)
