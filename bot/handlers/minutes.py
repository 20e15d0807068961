"""会议记录: the command, and the minutes dialogue's place among the catchers (bot/services/minutes.py)."""

from __future__ import annotations

from bot.router import Command, Router
from bot.services.minutes import COMMAND_WORD, MinutesService

__all__ = ["minutes_command", "route_minutes"]


def minutes_command(minutes: MinutesService) -> Command:
    return Command((COMMAND_WORD,), minutes.command, "（书记、委员）私聊填写、查看或修改会议记录", "会议记录 3",
                   role="manager", where="private", action="填写会议记录")


def route_minutes(router: Router, minutes: MinutesService) -> None:
    """A dialogue under way takes the member's private messages before any command; a dialogue left earlier
    speaks up for a private message that nothing else takes (added after the answer catchers)."""
    router.intercept(minutes.intercept)
    router.catch(minutes.dormant)
