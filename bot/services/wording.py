"""The words of replies that differ between the chat and the command line: 安排推送 and 取消推送 (`studybot push
add`, `studybot push cancel`), 取消会议 (`studybot meetings cancel`). The chat speaks of 本支部 and of what to send,
the command line of the branch by name and of commands and options."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PushWording", "CHAT", "unknown_group_text", "MeetingWording", "MEETINGS_IN_CHAT"]


@dataclass(frozen=True)
class PushWording:
    whose: str  # the branch the reply is about: 「本支部」 in chat, its name on the command line
    usage: str  # how to write the whole command
    find_item: str  # how to find an item's title
    cancel_usage: str  # how to write a cancellation
    listing: str  # where the arranged pushes and their numbers are listed
    one_group: str  # how to push to one group only


CHAT = PushWording(
    whose="本支部",
    usage="格式：安排推送 资料 时间 [群]，例如：安排推送 三会一课制度要点 每周一 09:00",
    find_item="发送「搜索 关键词」查找资料的标题。",
    cancel_usage="请写要取消的推送编号，例如：取消推送 3（编号见「推送计划」）",
    listing="发送「推送计划」查看。",
    one_group="时间之后可写本支部的一个群名，只推送到这个群；不写则推送到本支部的所有群。",
)


def unknown_group_text(word: str, groups: list[str], wording: PushWording) -> str:
    """The time was understood without its last word, which names no group of the branch: say so, and which
    groups it has."""
    whose = wording.whose
    known = (f"{whose}的群：{'、'.join(groups)}" if groups
             else f"机器人还不认识{whose}的群（群里有人发过消息后才认识）")
    return f"没有安排：「{word}」不是{whose}的群。{known}。{wording.one_group}\n{wording.usage}"


@dataclass(frozen=True)
class MeetingWording:
    whose: str  # the branch the reply is about; "" on the command line: the meeting's branch, by name
    cancel_usage: str
    listing: str


MEETINGS_IN_CHAT = MeetingWording(whose="本支部",
                                  cancel_usage="请写要取消的会议编号，例如：取消会议 3（编号见「会议」）",
                                  listing="发送「会议」查看。")
