"""DingTalk session webhooks: the reply address each robot message carries, kept per chat while
it is fresh (`SessionWebhooks`), the message bodies for it and the post itself (blocking, with
requests: call `post_session` in `asyncio.to_thread`), and the members DingTalk sent without a staff id
(`Unidentified`)."""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from typing import Any

import requests

from bot.channels.common.aio import Clock
from bot.channels.common.attempts import requests_failure
from bot.channels.common.split import split_text
from bot.messages import Incoming, Outgoing

__all__ = ["SessionWebhooks", "Handle", "post_session", "session_body", "pieces", "title_of", "PIECE_BYTES",
           "WEBHOOK_EXPIRED_ERRCODE", "WEBHOOK_BUSY_ERRCODES", "Unidentified", "NO_STAFF_ID_NOTE"]

log = logging.getLogger(__name__)

HTTP_TIMEOUT = 10.0
WEBHOOK_EXPIRED_ERRCODE = 300001  # the session webhook is no longer valid
WEBHOOK_BUSY_ERRCODES = frozenset({-1, 130101})  # DingTalk busy, sending too fast: not taken, try again
ENCRYPTED_ID_PREFIX = "$:LWCP_v1:$"  # how DingTalk's encrypted senderId starts
NO_STAFF_ID_NOTE = ("钉钉没有提供你的企业账号（外部联系人，或机器人尚未发布），我只能在这段对话里回复你："
                    "私聊推送你收不到，作答也对不上花名册。")
# DingTalk documents no byte limit for robot markdown; the OpenAPI takes 15,000 bytes of msgParam and
# custom robots about 20,000 per request. 5,000 bytes of text per message stays clear of all of them,
# and a long ranking is split between lines rather than cut.
PIECE_BYTES = 5000
MARGIN_MS = 60_000  # a session webhook this close to its expiry counts as expired

Handle = tuple[str, int | None]  # (session webhook, its expiry in ms since the epoch): an Incoming's reply_handle


class SessionWebhooks:
    """The latest session webhook of each chat; `clock`: wall-clock seconds (expiries are wall time)."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._by_chat: dict[str, Handle] = {}

    def remember(self, chat_id: str, handle: Handle) -> None:
        self._by_chat[chat_id] = handle

    def fresh(self, chat_id: str, handle: Handle | None = None) -> str:
        """`handle`'s webhook, else the chat's latest, while it is fresh; "" when there is none."""
        webhook, expiry = handle if handle and handle[0] else self._by_chat.get(chat_id, ("", None))
        if not webhook or (expiry is not None and expiry - MARGIN_MS <= self._clock() * 1000):
            return ""
        return webhook

    def forget(self, chat_id: str, webhook: str) -> None:
        """DingTalk said `webhook` is no longer valid (300001)."""
        if self._by_chat.get(chat_id, ("", None))[0] == webhook:
            del self._by_chat[chat_id]


def title_of(text: str) -> str:
    return text.splitlines()[0][:30] if text and text.strip() else "studybot"


def pieces(text: str) -> list[str]:
    return split_text(text, PIECE_BYTES)


def session_body(text: str, *, markdown: bool, mentions: tuple[str, ...] = ()) -> dict[str, Any]:
    if markdown:
        body: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": title_of(text), "text": text}}
    else:
        body = {"msgtype": "text", "text": {"content": text}}
    if mentions:
        body["at"] = {"atUserIds": list(mentions)}
    return body


def post_session(http: requests.Session, webhook: str, body: dict[str, Any]) -> int:
    """Blocking: post to a session webhook; the errcode it answers (0 when none). A failed request
    raises NotDelivered (never requests' own error: its text holds the webhook, a credential)."""
    try:
        response = http.post(webhook, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                             headers={"Content-Type": "application/json"}, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise requests_failure(exc) from None
    try:
        result = response.json()
    except ValueError:
        return 0
    errcode = result.get("errcode", 0) if isinstance(result, dict) else 0
    if errcode in (0, None):
        return 0
    if errcode != WEBHOOK_EXPIRED_ERRCODE:
        log.warning("dingtalk: session webhook answered errcode %s: %.100s", errcode, result.get("errmsg", ""))
    try:
        return int(errcode)
    except (TypeError, ValueError):
        return -1


class Unidentified:
    """Members whose messages came without a senderStaffId (external users, a robot not yet published):
    their id is the encrypted senderId, which the OpenAPI does not accept. They are answered only in the
    conversation (its session webhook) and told so once (per run; the last `size` remembered)."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def knows(self, user_id: str) -> bool:
        return user_id in self._ids or user_id.startswith(ENCRYPTED_ID_PREFIX)

    def note(self, incoming: Incoming, staff_id: str | None) -> list[Outgoing]:
        """The note for `incoming`'s sender, the first time they come without `staff_id`."""
        user_id = incoming.sender.user_id
        if staff_id or user_id in self._ids:
            return []
        self._ids[user_id] = None
        while len(self._ids) > self._size:
            self._ids.popitem(last=False)
        name = f"{incoming.sender.name}，" if incoming.chat.is_group else ""
        return [Outgoing(incoming.chat, f"提示：{name}{NO_STAFF_ID_NOTE}")]
