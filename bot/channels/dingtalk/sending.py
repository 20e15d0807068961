"""How one message leaves the DingTalk channel, the first way that works:

- a question with single-choice options, when `dingtalk.card_template_id` is set: an interactive
  card (OpenAPI createAndDeliver); a reveal first closes every card of its question. Without a
  template, or when the card cannot be sent, the question goes as text (in a group: "@ me first");
- text and markdown, cut into pieces of ≤ 5,000 bytes: to the conversation's session webhook while
  it is fresh (it lives about 90 minutes), else to the group's custom robot webhook when
  `dingtalk.webhooks` has one (HMAC-signed, 20 a minute, queued), else through the robot OpenAPI
  (groupMessages/send, oToMessages/batchSend). A session webhook answering 300001 (expired) is
  forgotten and the message goes the next way; one answering -1 or 130101 (busy, too fast) did not take
  it (`RateLimited`); any other errcode is a refusal of that address (logged), and the message goes the
  next way;
- a member DingTalk gave no staff id (an external user, a robot not yet published) is answered only in
  the conversation: the OpenAPI refuses their encrypted senderId, so nothing is pushed to them.

DingTalk's "too fast" (`RateLimited`) is retried here for replies and contest steps, after 1 s, 2 s, 4 s
(`REPLY_RETRIES`); the outbox's pushes are tried again by the outbox (one retry layer each).

Blocking HTTP calls run in threads, so the loop never stalls."""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass
from typing import Any

from bot.channels.base import NotDelivered
from bot.channels.common.aio import Sleep
from bot.channels.common.retries import Retries, Taken, keep_trying
from bot.channels.dingtalk import cards
from bot.channels.dingtalk.openapi import DingTalkOpenAPI, RateLimited, msg_for
from bot.channels.dingtalk.quota import Quota
from bot.channels.dingtalk.replies import (
    WEBHOOK_BUSY_ERRCODES,
    WEBHOOK_EXPIRED_ERRCODE,
    SessionWebhooks,
    Unidentified,
    pieces,
    post_session,
    session_body,
    title_of,
)
from bot.channels.dingtalk.robot_webhook import DingTalkWebhook
from bot.channels.dingtalk.taps import CardBook
from bot.messages import Outgoing

__all__ = ["Outbound", "WebhookRobot"]

log = logging.getLogger(__name__)


class _TooFast(Retries):
    """A reply or a contest step DingTalk turned away as too fast: tried again after a pause."""

    def wait(self, tries: int, unsure: int, failure: NotDelivered) -> float | None:
        return super().wait(tries, unsure, failure) if isinstance(failure, RateLimited) else None


REPLY_RETRIES = _TooFast(attempts=4, first=1.0, most=4.0)


@dataclass(frozen=True)
class WebhookRobot:
    """A group's custom robot (自定义机器人): its access token and, with 加签, its secret."""
    access_token: str
    secret: str | None = None


class Outbound:
    """`send(webhook, message)`: one message, the ways above in order; `webhook` is the session
    webhook to try first ("" for none)."""

    def __init__(self, *, openapi: DingTalkOpenAPI, template: str, robots: dict[str, WebhookRobot],
                 robot_webhook: DingTalkWebhook | None, sessions: SessionWebhooks, book: CardBook,
                 quota: Quota | None = None, sleep: Sleep = asyncio.sleep) -> None:
        self._openapi, self._template = openapi, template
        self._robots, self._robot_webhook = robots, robot_webhook
        self._sessions, self._book, self.quota = sessions, book, quota
        self._taken = Taken()
        self._sleep = sleep
        self.unidentified = Unidentified()

    async def send(self, webhook: str, message: Outgoing, confirmed: bool = False) -> None:
        """`confirmed` (the outbox's `deliver`): one request per piece not taken by an earlier attempt,
        each awaited; `NotDelivered` at the first DingTalk did not take (the outbox tries again)."""
        if message.closes:
            await self._close_cards(message.closes, message.answer)
        # near the monthly quota a question goes as text (through a fresh session webhook it costs nothing)
        cards_allowed = self.quota is None or self.quota.cards_allowed()
        if (message.choices and not message.multiple and self._template and cards_allowed
                and await self._send_card(message)):
            return
        text = cards.text_fallback(message, message.chat.is_group)
        markdown = bool(message.markdown)

        async def one(piece: str) -> None:
            nonlocal webhook
            if webhook:
                body = session_body(piece, markdown=markdown, mentions=message.mentions)
                errcode = await asyncio.to_thread(post_session, self._openapi.http(), webhook, body)
                if errcode == 0:
                    return
                if errcode in WEBHOOK_BUSY_ERRCODES:
                    raise RateLimited(f"session webhook errcode {errcode}")
                if errcode == WEBHOOK_EXPIRED_ERRCODE:
                    self._sessions.forget(message.chat.chat_id, webhook)
                webhook = ""  # expired, or refused (logged): the next way
            await self._push(message, piece, markdown, confirmed)

        if confirmed:
            await self._taken.each(message, pieces(text), one)
            return
        for piece in pieces(text):
            await keep_trying(functools.partial(one, piece), REPLY_RETRIES, self._sleep)

    async def _push(self, message: Outgoing, text: str, markdown: bool, confirmed: bool = False) -> None:
        """A message DingTalk did not ask for: the group's custom robot, else the OpenAPI."""
        chat = message.chat
        robot = (self._robots.get(chat.chat_id) or self._robots.get(chat.name)) if chat.is_group else None
        if robot is not None and self._robot_webhook is not None:
            label = chat.name or chat.chat_id
            if markdown:
                sent = self._robot_webhook.send_markdown(robot.access_token, robot.secret, title_of(text), text,
                                                         label=label, confirmed=confirmed, priority=message.priority)
            else:
                sent = self._robot_webhook.send_text(robot.access_token, robot.secret, text, message.mentions,
                                                     label=label, confirmed=confirmed, priority=message.priority)
            await asyncio.gather(*sent)  # raises NotDelivered when the robot did not take it
            return
        if not chat.is_group and self.unidentified.knows(chat.chat_id):
            raise NotDelivered("no staff id for this member: answered only in the conversation", refused=True)
        key, param = msg_for(title_of(text), text, markdown)
        if chat.is_group:
            await asyncio.to_thread(self._openapi.send_group, chat.chat_id, key, param)
        else:
            await asyncio.to_thread(self._openapi.send_private, [chat.chat_id], key, param)

    async def _send_card(self, message: Outgoing) -> bool:
        data = cards.question_card_data(message)
        if not cards.fits(data):  # DingTalk refuses a value over 1 KB: a long question goes as text
            log.info("dingtalk: question %s too long for a card; sent as text", message.key)
            return False
        track_id = cards.out_track_id(message.key or "question")
        body = cards.deliver_body(template_id=self._template, track_id=track_id, robot_code=self._openapi.robot_code,
                                  chat_id=message.chat.chat_id, is_group=message.chat.is_group, card_data=data)
        self._book.sending(track_id, message.chat)
        try:
            await asyncio.to_thread(self._openapi.deliver_card, body)
        except Exception as exc:
            if self.quota is not None:
                self.quota.refused(exc)
            log.warning("dingtalk: card to %s not sent (%s); sending the question as text",
                        message.chat.chat_id, exc)
            return False
        self._book.delivered(track_id)
        return True

    async def _close_cards(self, key: str, answer: str) -> None:
        for track_id in self._book.close(key):
            await self.update(cards.update_body(track_id, card_data=cards.closed_data(answer)))

    async def update(self, body: dict[str, Any]) -> None:
        try:
            await asyncio.to_thread(self._openapi.update_card, body)
        except Exception as exc:
            if self.quota is not None:
                self.quota.refused(exc)
            log.warning("dingtalk: card %s not updated: %s", body.get("outTrackId"), exc)
