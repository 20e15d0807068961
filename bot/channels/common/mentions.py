"""What a member typed, as the dispatcher reads it: one rule for every platform.

WeCom's smart robot keeps "@学习助手" in the text it delivers (before the words, and wherever the
member put it); DingTalk leaves the robot's own name out, but another member's "@name" may stay in
front. A WeCom "mixed" message (text with pictures) comes as several text parts."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["strip_mentions", "join_parts"]

# "@name" tokens at the start, each ending at a space (WeCom puts U+2005 there) or the next "@"
_LEADING = re.compile(r"^(?:\s*@[^\s@]+)+\s*")


def strip_mentions(text: str, bot_name: str) -> str:
    """"@学习助手 开始竞赛" → "开始竞赛"; "开始竞赛 @学习助手" → "开始竞赛"."""
    text = _LEADING.sub("", text, count=1)
    mention = f"@{bot_name}"
    if mention in text:  # the robot @-ed at the end or in the middle
        text = text.replace(mention, " ")
    return text.strip()


def join_parts(parts: Iterable[str]) -> str:
    """The text of a message sent in parts: one line each, as the pictures between them break the
    lines on screen (the router reads words, so a line break reads like a space)."""
    return "\n".join(parts)
