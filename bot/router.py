"""Matching chat text to commands, and the answer catchers that take text no command claims.
Pure functions: unit-tested without a bot."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from bot.messages import Outgoing
from bot.services.context import Context

__all__ = ["Command", "Router", "Match", "Catcher", "Role", "Where"]

Handler = Callable[[Context], list[Outgoing]]
# An answer catcher: the replies to a text it takes as an answer (an empty list: taken, nothing to say),
# or None when the text is not its business.
Catcher = Callable[[Context], list[Outgoing] | None]
Role = Literal["member", "manager", "admin"]  # manager: 书记、委员 and 管理员; admin: 管理员 only
Where = Literal["any", "group", "private"]
# what may follow a command as talk, not as its argument: 「开始竞赛吗？」, 「排行榜本月呢」, 「帮助。」
_TRAILING_CHATTER = re.compile(r"[\s吗呢吧啊呀嘛啦了?？!！。.~～]+$")


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]  # Chinese words first, then short aliases such as /quiz
    handler: Handler
    summary: str
    example: str
    role: Role = "member"  # who may use it; the dispatcher refuses the others (bot/guards.py)
    where: Where = "any"  # in which chats it may be used
    action: str = ""  # what it does, as a refusal names it (「安排会议」); its first word when empty
    instead: str = ""  # what to do instead, told with a refusal of the place (「私聊可以发送「每日一题」。」)
    # text that starts with the word but is talk, not the command (「同意！」 from a member in the group): ignored
    # before any role is checked, so nobody is told they may not use a command they did not mean
    chatter: Callable[[Context], bool] | None = None

    @property
    def doing(self) -> str:
        return self.action or self.words[0]


@dataclass(frozen=True)
class Match:
    command: Command
    args: list[str]


class Router:
    def __init__(self, commands: list[Command]) -> None:
        self.commands = commands
        self.catchers: list[Catcher] = []
        self.interceptors: list[Catcher] = []
        # longest word first, so 支部排行 is not read as 排行 + 支部
        self._words = sorted(((w, c) for c in commands for w in c.words), key=lambda wc: -len(wc[0]))
        # most messages in a contest are answers ("A", "对"): one set lookup rules them out
        self._first_chars = {w[0].lower() for w, _ in self._words}

    def catch(self, catcher: Catcher) -> None:
        """Offer text that matches no command to `catcher`, after the catchers added before it."""
        self.catchers.append(catcher)

    def intercept(self, catcher: Catcher) -> None:
        """Offer every text to `catcher` before any command is matched: a dialogue under way (会议记录) takes the
        member's messages as its answers, even those that read like a command."""
        self.interceptors.append(catcher)

    def match(self, text: str) -> Match | None:
        """A command at the start of the text; Chinese commands may be glued to their
        arguments (排行榜本月), Latin aliases need a word boundary (/quiz 5)."""
        stripped = text.strip()
        if not stripped or stripped[0].lower() not in self._first_chars:
            return None
        folded = stripped.lower()
        for word, command in self._words:
            if not folded.startswith(word.lower()):
                continue
            rest = stripped[len(word):]
            if word.isascii() and rest and not rest[0].isspace():
                continue
            return Match(command, _TRAILING_CHATTER.sub("", rest).split())
        return None

    def suggest(self, text: str) -> str | None:
        """The command a short text probably meant (开始竟赛 -> 开始竞赛), or None for chatter."""
        head = text.strip().split()[0] if text.strip() else ""
        if not head or len(head) > 8:
            return None
        chinese = [w for w, _ in self._words if not w.isascii()]
        found = difflib.get_close_matches(head, chinese, n=1, cutoff=0.6)
        if found:
            return found[0]
        if head.startswith("/"):
            latin = [w for w, _ in self._words if w.startswith("/")]
            found = difflib.get_close_matches(head.lower(), latin, n=1, cutoff=0.5)
            return found[0] if found else "帮助"
        return None
