"""The .chat conversation-script format (parsing only; play.py plays it).

    # a comment           (`# roster: FILE`, a header: `studybot chat --script` imports that roster first)
    [第一党支部]          following lines happen in this group ([私聊] = private chat)
    张三: 开始竞赛        member 张三 sends 开始竞赛
    张三: [点击 B]        member 张三 taps B on the group's latest question card ([点击 B 第1题]: on question 1's
                          card of the latest contest; [点击 B 卡片 contest:9:q0]: on the card of that key)
    ~ 30s                 advance the simulated clock (s, m, h, d); timers due meanwhile fire in order
    !restart              stop the bot and start it again on the same database
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

__all__ = ["Say", "Wait", "SwitchGroup", "Restart", "Step", "ScriptError", "parse_script", "PRIVATE", "DEFAULT_GROUP"]

DEFAULT_GROUP = "默认群"
PRIVATE = "私聊"


# The steps of a script; `line` is where each stands, for the messages about it.

@dataclass(frozen=True)
class Say:
    """「张三: 开始竞赛」: a member says something in the current group."""
    line: int
    name: str
    text: str


@dataclass(frozen=True)
class Wait:
    """「~ 30s」: the simulated clock moves on; what falls due meanwhile happens, in order."""
    line: int
    delta: timedelta


@dataclass(frozen=True)
class SwitchGroup:
    """「[第一党支部]」: the following lines happen in this group."""
    line: int
    name: str


@dataclass(frozen=True)
class Restart:
    """「!restart」: the bot stops and starts again on the same database."""
    line: int


Step = Say | Wait | SwitchGroup | Restart


class ScriptError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"第 {line} 行：{message}")
        self.line = line


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "秒": 1, "分": 60, "分钟": 60, "小时": 3600, "天": 86400}
_WAIT = re.compile(r"^~\s*([0-9]+)(\.[0-9]+)?\s*(s|m|h|d|秒|分钟|分|小时|天)$")
_LONGEST_WAIT = timedelta(days=3660)
_GROUP = re.compile(r"^\[(.+)\]$")
_SAY = re.compile(r"^([^:：\s][^:：]{0,39}?)\s*[:：]\s?(.*)$")


def parse_script(text: str) -> list[Step]:
    """All steps, or ScriptError for the first line that cannot be read (nothing runs then)."""
    steps: list[Step] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("~"):
            match = _WAIT.match(line)
            if not match:
                raise ScriptError(number, f"无法识别的时间推进「{line}」，应写作 ~ 30s、~ 5m、~ 2h 或 ~ 1d")
            # float() of two thousand digits is infinity, which no timedelta holds: a long number is too long
            whole, fraction, unit = match[1], match[2] or "", match[3]
            delta = timedelta(seconds=float(whole + fraction) * _UNITS[unit]) if len(whole) <= 9 else None
            if delta is None or delta > _LONGEST_WAIT:
                shown = line if len(line) <= 30 else line[:30] + "…"
                raise ScriptError(number, f"时间推进「{shown}」太长，一次最多 ~ {_LONGEST_WAIT.days}d")
            steps.append(Wait(number, delta))
        elif line == "!restart":
            steps.append(Restart(number))
        elif match := _GROUP.match(line):
            steps.append(SwitchGroup(number, match[1].strip()))
        elif match := _SAY.match(line):
            steps.append(Say(number, match[1].strip(), match[2]))
        else:
            raise ScriptError(number, f"无法识别「{line[:30]}」，应为「姓名: 消息」、「~ 30s」、「[群名]」、"
                                      "「[私聊]」、「!restart」或「# 注释」")
    return steps
