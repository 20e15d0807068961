"""Posting to a DingTalk session webhook (the reply address each robot message carries) and the
message bodies for it. Blocking (requests): call `post_session` in `asyncio.to_thread`."""

from __future__ import annotations

import json
import logging
from typing import Any

import requests

from bot.channels.text_split import split_at_lines

__all__ = ["post_session", "session_body", "pieces", "title_of", "PIECE_BYTES", "WEBHOOK_EXPIRED_ERRCODE"]

log = logging.getLogger("bot.channels.dingtalk")

HTTP_TIMEOUT = 10.0
WEBHOOK_EXPIRED_ERRCODE = 300001  # the session webhook is no longer valid
# DingTalk documents no byte limit for robot markdown; the OpenAPI takes 15,000 bytes of msgParam and
# custom robots about 20,000 per request. 5,000 bytes of text per message stays clear of all of them,
# and a long ranking is split between lines rather than cut.
PIECE_BYTES = 5000


def title_of(text: str) -> str:
    return text.splitlines()[0][:30] if text and text.strip() else "studybot"


def pieces(text: str) -> list[str]:
    return [piece for piece in split_at_lines(text, PIECE_BYTES, any_break=True) if piece.strip()] or [text]


def session_body(text: str, *, markdown: bool, mentions: tuple[str, ...] = ()) -> dict[str, Any]:
    if markdown:
        body: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": title_of(text), "text": text}}
    else:
        body = {"msgtype": "text", "text": {"content": text}}
    if mentions:
        body["at"] = {"atUserIds": list(mentions)}
    return body


def post_session(http: requests.Session, webhook: str, body: dict[str, Any]) -> int:
    """Blocking: post to a session webhook; the errcode it answers (0 when none)."""
    response = http.post(webhook, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                             headers={"Content-Type": "application/json"}, timeout=HTTP_TIMEOUT)
    response.raise_for_status()
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
