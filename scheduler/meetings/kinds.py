"""The 三会一课 meeting types: the six kinds of 《中国共产党支部工作条例（试行）》(2018), how often each is required
(党课 once a quarter is a local rule) and the points for attending, with configured changes; and two of the
党委's own meetings (理论学习中心组学习, 党委会), held by a body listed in `meetings.groups`, not by a branch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from scheduler.meetings.attendees import WHO, WHO_COMMITTEE, WHO_GROUP, WHO_MEMBERS

__all__ = ["PERIODS", "MeetingType", "DEFAULT_TYPES", "find_type", "meeting_types"]

PERIODS = ("month", "quarter", "year")


@dataclass(frozen=True)
class MeetingType:
    key: str  # ASCII, stored in the database and used in configuration
    name: str  # the official Chinese name, shown to users
    aliases: tuple[str, ...] = ()
    period: str = "month"  # "month" | "quarter" | "year"
    required: int = 1  # meetings required per period
    points: int = 5  # awarded for attending
    who: str = WHO_MEMBERS  # who must attend: 支委, 小组 or 全体党员 (scheduler/meetings/attendees.py)
    # "" for a branch's meeting; else the body (a name in `meetings.groups`, kept as a pseudo-branch of that
    # name) whose meeting this is: required of that body only, never of a branch
    body: str = ""
    # the month of its period from which it is due: 组织生活会 一般安排在第四季度, so not flagged before October
    from_month: int = 1


DEFAULT_TYPES: tuple[MeetingType, ...] = (
    MeetingType("general_assembly", "支部党员大会", ("党员大会", "支部大会"), "quarter"),
    MeetingType("committee", "支部委员会会议", ("支委会", "支委会议", "支部委员会"), "month",
                who=WHO_COMMITTEE),
    MeetingType("group", "党小组会", ("小组会", "党小组会议"), "month", who=WHO_GROUP),
    MeetingType("lecture", "党课", ("上党课", "讲党课"), "quarter"),
    MeetingType("theme_day", "主题党日", ("主题党日活动", "党日活动"), "month"),
    # No 民主生活会 alias: that is the leadership team's meeting, not the branch's.
    MeetingType("life_meeting", "组织生活会", ("组织生活会议",), "year", from_month=10),
    # the 党委's own: monthly 中心组 study per the 学习计划; 党委会 原则上每月一次
    MeetingType("study_group", "理论学习中心组学习", ("中心组学习", "中心组", "中心组学习会"), "month", body="中心组"),
    MeetingType("party_committee", "党委会", ("党委会议", "党委委员会议"), "month", body="党委"),
)



def find_type(types: Iterable[MeetingType], word: str) -> MeetingType | None:
    """The type called `word` (its name, an alias or its key, the key case-insensitively)."""
    word = word.strip()
    for t in types:
        if word in (t.name, *t.aliases) or word.lower() == t.key:
            return t
    return None


def _count(name: str, what: str, value: object) -> int:
    # bool is an int subclass; True as "1 meeting" is a configuration mistake, not a count.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"会议类型「{name}」的 {what} 必须是不小于 0 的整数，收到 {value!r}")
    return value


def meeting_types(overrides: Mapping[str, Mapping[str, object]] | None = None) -> tuple[MeetingType, ...]:
    """DEFAULT_TYPES with configured changes. Keys: a type's key, name or alias. Fields: period, required,
    points, aliases (aliases replace the defaults, so an unwanted one can be removed), who (支委, 小组 or
    全体党员: who must attend)."""
    types = list(DEFAULT_TYPES)
    for word, changes in (overrides or {}).items():
        found = find_type(types, str(word))
        if found is None:
            raise ValueError(f"未知的会议类型「{word}」，可选：{'、'.join(t.name for t in DEFAULT_TYPES)}")
        unknown = set(changes) - {"period", "required", "points", "aliases", "who", "body", "from_month"}
        if unknown:
            raise ValueError(f"会议类型「{word}」不支持设置 {'、'.join(sorted(unknown))}"
                             "（可设置 period、required、points、aliases、who、body、from_month）")
        changed = found
        if "period" in changes:
            period = changes["period"]
            if not isinstance(period, str) or period not in PERIODS:
                raise ValueError(f"会议类型「{word}」的 period 必须是 month、quarter 或 year，收到 {period!r}")
            changed = replace(changed, period=period)
        if "required" in changes:
            changed = replace(changed, required=_count(str(word), "required", changes["required"]))
        if "points" in changes:
            changed = replace(changed, points=_count(str(word), "points", changes["points"]))
        if "body" in changes:
            body = changes["body"]
            if not isinstance(body, str):
                raise ValueError(f"会议类型「{word}」的 body 必须是 meetings.groups 中的名称或空，收到 {body!r}")
            changed = replace(changed, body=body.strip())
        if "from_month" in changes:
            month = changes["from_month"]
            if not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
                raise ValueError(f"会议类型「{word}」的 from_month 必须是 1～12 的整数，收到 {month!r}")
            changed = replace(changed, from_month=month)
        if "aliases" in changes:
            aliases = changes["aliases"]
            # A bare string would otherwise become one alias per character.
            if isinstance(aliases, str) or not isinstance(aliases, Sequence) \
                    or not all(isinstance(a, str) and a.strip() for a in aliases):
                raise ValueError(f"会议类型「{word}」的 aliases 必须是非空文字的列表，收到 {aliases!r}")
            changed = replace(changed, aliases=tuple(a.strip() for a in aliases))
        if "who" in changes:
            if changes["who"] not in WHO:
                raise ValueError(f"会议类型「{word}」的 who 必须是 {'、'.join(WHO)} 之一，收到 {changes['who']!r}")
            changed = replace(changed, who=str(changes["who"]))
        types[types.index(found)] = changed
    seen: dict[str, str] = {}
    for t in types:  # one word must name one type, or 「安排会议 X」 would be ambiguous
        for w in (t.name, t.key, *t.aliases):
            if seen.setdefault(w, t.key) != t.key:
                raise ValueError(f"会议类型「{t.key}」的别名「{w}」与「{seen[w]}」重复")
    return tuple(types)

