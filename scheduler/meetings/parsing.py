"""Reading 「安排会议 <类型> <日期> <时间> [地点] [主题]」 into a meeting draft, with warnings a person should see
(a date rolled to next year, a day that is no workday, too little time left for the reminders)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Protocol

from scheduler.meetings.attendees import WHO_GROUP
from scheduler.meetings.kinds import DEFAULT_TYPES, MeetingType, find_type
from scheduler.shanghai import FARTHEST_AHEAD, TZ, WEEKDAY_NAMES, as_shanghai

__all__ = ["MeetingError", "WorkdayCalendar", "MeetingDraft", "USAGE", "parse_meeting"]


class MeetingError(ValueError):
    """A command that cannot be scheduled; str(error) is the Chinese reply."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WorkdayCalendar(Protocol):
    def is_workday(self, d: date) -> bool: ...


class _MondayToFriday:
    """Used without a calendar: no holidays or 调休 known, so only weekends warn."""

    def is_workday(self, d: date) -> bool:
        return d.weekday() < 5


@dataclass(frozen=True)
class MeetingDraft:
    type: MeetingType
    start: datetime  # aware, Asia/Shanghai
    place: str  # "" when not given
    topic: str  # "" when not given
    warnings: tuple[str, ...] = ()
    party_group: str = ""  # the 党小组 a 小组 meeting is for ("" for the whole branch)


USAGE = ("请按格式发送：安排会议 <类型> <日期> <时间> [地点] [主题]\n"
         "例如：安排会议 支委会 2026-12-01 14:30 三楼会议室 学习二十大精神\n"
         "类型：支部党员大会、支部委员会会议、党小组会、党课、主题党日、组织生活会")

_DATE_HINT = "请写成 2026-12-01、12月3日 或 明天"
_TIME_HINT = "请写成 14:30、9点半 或 下午2点"
_RELATIVE = {"今天": 0, "明天": 1, "后天": 2}
_PAST = re.compile("昨天|前天|上周|上个?月|去年")
# Each matches at the start of a token; what follows may be the time ("明天下午3点").
_FULL_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?")
_MONTH_DAY = re.compile(r"(\d{1,2})(?:月(\d{1,2})[日号]?|/(\d{1,2}))")
_REL_DATE = re.compile("|".join(_RELATIVE))
_TIME = re.compile(r"(上午|早上|中午|下午|晚上|傍晚)?(\d{1,2})(?:[:：](\d{2})|[点时](?:(半|整)|(\d{1,2})分?)?)")
_PM = {"下午", "晚上", "傍晚"}


def _parse_date(token: str, today: date) -> tuple[date, str, str | None]:
    """(date, the rest of the token, a warning). Raises MeetingError."""
    if m := _REL_DATE.match(token):
        return today + timedelta(days=_RELATIVE[m.group()]), token[m.end():], None
    if m := _FULL_DATE.match(token):
        try:
            return date(*map(int, m.groups())), token[m.end():], None
        except ValueError:
            raise MeetingError(f"日期「{m.group()}」不存在，{_DATE_HINT}。") from None
    if m := _MONTH_DAY.match(token):
        month, day = int(m.group(1)), int(m.group(2) or m.group(3))
        # The next occurrence on or after today; a few years ahead covers 2月29日.
        for year in range(today.year, today.year + 9):
            try:
                d = date(year, month, day)
            except ValueError:
                if year == today.year and not (month == 2 and day == 29):
                    break
                continue
            if d >= today:
                # A date already past this year moves silently to next year otherwise.
                note = None if year == today.year else f"{m.group()}今年已过，已按 {d.isoformat()} 安排，请确认。"
                return d, token[m.end():], note
        raise MeetingError(f"日期「{m.group()}」不存在，{_DATE_HINT}。")
    if _TIME.fullmatch(token):
        raise MeetingError(f"缺少会议日期，{_DATE_HINT}。")
    if m := _PAST.match(token):  # understood, and in the past: say that rather than 「无法识别」
        raise MeetingError(f"「{m.group()}」已经过去，安排会议请写今天或以后的日期，{_DATE_HINT}。")
    raise MeetingError(f"无法识别日期「{token}」，{_DATE_HINT}。")


def _parse_time(token: str) -> time:
    m = _TIME.fullmatch(token)
    if m is None:
        raise MeetingError(f"无法识别时间「{token}」，{_TIME_HINT}。")
    noon, hour = m.group(1), int(m.group(2))
    minute = int(m.group(3) or m.group(5) or 0) + (30 if m.group(4) == "半" else 0)
    if (noon in _PM and hour < 12) or (noon == "中午" and hour < 11):  # 中午1点 is 13:00
        hour += 12
    if hour > 23 or minute > 59:
        raise MeetingError(f"时间「{token}」不存在，{_TIME_HINT}。")
    return time(hour, minute)


def _strip_label(text: str, label: str) -> str:
    return re.sub(rf"^{label}\s*[:：]\s*", "", text)


def _party_group(kind: MeetingType, tokens: list[str], groups: Sequence[str]) -> str:
    """A 小组 meeting of a branch with 党小组 names its 小组 after the type (taken out of `tokens`); with one
    小组 it may be left out. "" for other meetings and branches without 小组."""
    if kind.who != WHO_GROUP or not groups:
        return ""
    if len(tokens) > 1 and tokens[1] in groups:
        return tokens.pop(1)
    if len(groups) == 1:
        return groups[0]
    named = "、".join(groups)
    if len(tokens) > 1 and not (_REL_DATE.match(tokens[1]) or _FULL_DATE.match(tokens[1])
                                or _MONTH_DAY.match(tokens[1])):
        raise MeetingError(f"本支部没有「{tokens[1]}」，党小组有：{named}。")
    when = " ".join(tokens[1:3]) or "2026-12-10 14:30"  # their own date and time in the example
    raise MeetingError(f"请写明是哪个党小组的{kind.name}，例如：安排会议 {kind.name} {groups[0]} {when}"
                       f"（本支部的党小组：{named}）。")


def parse_meeting(text: str, *, types: Sequence[MeetingType] = DEFAULT_TYPES, now: datetime,
                  calendar: WorkdayCalendar | None = None, groups: Sequence[str] = ()) -> MeetingDraft:
    """Read `<类型> [党小组] <日期> <时间> [地点] [主题…]` (the text after 「安排会议」); `groups` are the branch's
    党小组 (a 小组 meeting names one of them)."""
    tokens = text.strip().removeprefix("安排会议").split()  # tolerate the command word itself
    if not tokens:
        raise MeetingError(USAGE)
    kind = find_type(types, tokens[0])
    if kind is None:
        raise MeetingError(f"未知的会议类型「{tokens[0]}」，可选：{'、'.join(t.name for t in types)}")
    party_group = _party_group(kind, tokens, groups)
    if len(tokens) < 2:
        raise MeetingError(f"缺少会议日期，{_DATE_HINT}。")
    now = as_shanghai(now)
    day, rest, rolled = _parse_date(tokens[1], now.date())
    tail = ([rest] if rest else []) + tokens[2:]  # "明天下午3点" carries its time in the same token
    if not tail:
        raise MeetingError(f"缺少会议时间，{_TIME_HINT}。")
    start = datetime.combine(day, _parse_time(tail[0]), tzinfo=TZ)
    if start < now:
        raise MeetingError(f"会议时间已过：{start:%Y-%m-%d %H:%M} 早于现在（{now:%Y-%m-%d %H:%M}），请检查日期和时间。")
    if start - now > FARTHEST_AHEAD:
        raise MeetingError(f"会议时间太远：{start:%Y-%m-%d %H:%M}，最多安排到两年以内，请检查年份。")
    place, topic_words = "", tail[1:]
    if topic_words and not topic_words[0].startswith("主题"):  # 「主题：…」 right after the time means no place
        place, topic_words = _strip_label(topic_words[0], "地点"), topic_words[1:]
    topic = _strip_label(" ".join(topic_words), "主题")

    warnings = [rolled] if rolled else []
    if not (calendar if calendar is not None else _MondayToFriday()).is_workday(day):
        warnings.append(f"{day.isoformat()} 是周{WEEKDAY_NAMES[day.weekday()]}，不是工作日，请确认。")
    if start - now < timedelta(hours=1):
        minutes = int((start - now).total_seconds() // 60)
        warnings.append(f"距离会议开始不足 1 小时（还有 {minutes} 分钟），部分提醒来不及发送，请尽快通知参会党员。")
    return MeetingDraft(kind, start, place, topic, tuple(warnings), party_group)

