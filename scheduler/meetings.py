"""三会一课 rules: meeting types, parsing 「安排会议」, reminders, sign-in windows and compliance.

Pure: no database, no network, no clock reading (`now` is passed in). Frequencies follow
《中国共产党支部工作条例（试行）》(2018); 党课 once a quarter is a local rule (the 书记 giving at least one a
year is not checked here: it needs speaker data). Times are Asia/Shanghai. Aware datetimes are returned; a
naive one passed in is read as Shanghai wall-clock time, because the rest of the app (bot/clock.py,
storage) keeps naive wall-clock times.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

__all__ = [
    "TZ", "PERIODS", "MeetingType", "DEFAULT_TYPES", "meeting_types", "find_type", "MeetingError", "MeetingDraft",
    "WorkdayCalendar", "parse_meeting", "USAGE", "DEFAULT_OFFSETS", "reminder_times", "reminder_text",
    "signin_window", "signin_state", "changed_text", "cancelled_text",
    "when_text", "details_text", "period_bounds", "period_label", "Compliance", "compliance", "overdue_lines", "attendance_rate",
]

TZ = ZoneInfo("Asia/Shanghai")
PERIODS = ("month", "quarter", "year")
_MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}  # compares and scales periods
_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


# ---- types
@dataclass(frozen=True)
class MeetingType:
    key: str  # ASCII, stored in the database and used in configuration
    name: str  # the official Chinese name, shown to users
    aliases: tuple[str, ...] = ()
    period: str = "month"  # "month" | "quarter" | "year"
    required: int = 1  # meetings required per period
    points: int = 5  # awarded for attending


DEFAULT_TYPES: tuple[MeetingType, ...] = (
    MeetingType("general_assembly", "支部党员大会", ("党员大会", "支部大会"), "quarter"),
    MeetingType("committee", "支部委员会会议", ("支委会", "支委会议", "支部委员会"), "month"),
    MeetingType("group", "党小组会", ("小组会", "党小组会议"), "month"),
    MeetingType("lecture", "党课", ("上党课", "讲党课"), "quarter"),
    MeetingType("theme_day", "主题党日", ("主题党日活动", "党日活动"), "month"),
    # No 民主生活会 alias: that is the leadership team's meeting, not the branch's.
    MeetingType("life_meeting", "组织生活会", ("组织生活会议",), "year"),
)

# 党课 and 主题党日 are not "召开"-ed in natural Chinese.
_VERB = {"lecture": ("开展", "已开展"), "theme_day": ("开展", "已开展")}


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
    points, aliases (aliases replace the defaults, so an unwanted one can be removed)."""
    types = list(DEFAULT_TYPES)
    for word, changes in (overrides or {}).items():
        found = find_type(types, str(word))
        if found is None:
            raise ValueError(f"未知的会议类型「{word}」，可选：{'、'.join(t.name for t in DEFAULT_TYPES)}")
        unknown = set(changes) - {"period", "required", "points", "aliases"}
        if unknown:
            raise ValueError(f"会议类型「{word}」不支持设置 {'、'.join(sorted(unknown))}"
                             "（可设置 period、required、points、aliases）")
        new: dict[str, object] = {}
        if "period" in changes:
            if changes["period"] not in PERIODS:
                raise ValueError(f"会议类型「{word}」的 period 必须是 month、quarter 或 year，收到 {changes['period']!r}")
            new["period"] = changes["period"]
        for what in ("required", "points"):
            if what in changes:
                new[what] = _count(str(word), what, changes[what])
        if "aliases" in changes:
            aliases = changes["aliases"]
            # A bare string would otherwise become one alias per character.
            if isinstance(aliases, str) or not isinstance(aliases, Sequence) \
                    or not all(isinstance(a, str) and a.strip() for a in aliases):
                raise ValueError(f"会议类型「{word}」的 aliases 必须是非空文字的列表，收到 {aliases!r}")
            new["aliases"] = tuple(a.strip() for a in aliases)
        types[types.index(found)] = replace(found, **new)  # type: ignore[arg-type]
    seen: dict[str, str] = {}
    for t in types:  # one word must name one type, or 「安排会议 X」 would be ambiguous
        for w in (t.name, t.key, *t.aliases):
            if seen.setdefault(w, t.key) != t.key:
                raise ValueError(f"会议类型「{t.key}」的别名「{w}」与「{seen[w]}」重复")
    return tuple(types)


# ---- parsing
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


USAGE = ("请按格式发送：安排会议 <类型> <日期> <时间> [地点] [主题]\n"
         "例如：安排会议 支委会 2026-12-01 14:30 三楼会议室 学习二十大精神\n"
         "类型：支部党员大会、支部委员会会议、党小组会、党课、主题党日、组织生活会")

_DATE_HINT = "请写成 2026-12-01、12月3日 或 明天"
_TIME_HINT = "请写成 14:30、9点半 或 下午2点"
_RELATIVE = {"今天": 0, "明天": 1, "后天": 2}
# Each matches at the start of a token; what follows may be the time ("明天下午3点").
_FULL_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?")
_MONTH_DAY = re.compile(r"(\d{1,2})(?:月(\d{1,2})[日号]?|/(\d{1,2}))")
_REL_DATE = re.compile("|".join(_RELATIVE))
_TIME = re.compile(r"(上午|早上|中午|下午|晚上|傍晚)?(\d{1,2})(?:[:：](\d{2})|[点时](?:(半|整)|(\d{1,2})分?)?)")
_PM = {"下午", "晚上", "傍晚"}


def _local(when: datetime) -> datetime:
    return when.replace(tzinfo=TZ) if when.tzinfo is None else when.astimezone(TZ)


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


def parse_meeting(text: str, *, types: Sequence[MeetingType] = DEFAULT_TYPES, now: datetime,
                  calendar: WorkdayCalendar | None = None) -> MeetingDraft:
    """Read `<类型> <日期> <时间> [地点] [主题…]` (the text after 「安排会议」)."""
    tokens = text.strip().removeprefix("安排会议").split()  # tolerate the command word itself
    if not tokens:
        raise MeetingError(USAGE)
    kind = find_type(types, tokens[0])
    if kind is None:
        raise MeetingError(f"未知的会议类型「{tokens[0]}」，可选：{'、'.join(t.name for t in types)}")
    if len(tokens) < 2:
        raise MeetingError(f"缺少会议日期，{_DATE_HINT}。")
    now = _local(now)
    day, rest, rolled = _parse_date(tokens[1], now.date())
    tail = ([rest] if rest else []) + tokens[2:]  # "明天下午3点" carries its time in the same token
    if not tail:
        raise MeetingError(f"缺少会议时间，{_TIME_HINT}。")
    start = datetime.combine(day, _parse_time(tail[0]), tzinfo=TZ)
    if start < now:
        raise MeetingError(f"会议时间已过：{start:%Y-%m-%d %H:%M} 早于现在（{now:%Y-%m-%d %H:%M}），请检查日期和时间。")
    place, topic_words = "", tail[1:]
    if topic_words and not topic_words[0].startswith("主题"):  # 「主题：…」 right after the time means no place
        place, topic_words = _strip_label(topic_words[0], "地点"), topic_words[1:]
    topic = _strip_label(" ".join(topic_words), "主题")

    warnings = [rolled] if rolled else []
    if not (calendar if calendar is not None else _MondayToFriday()).is_workday(day):
        warnings.append(f"{day.isoformat()} 是{_WEEKDAYS[day.weekday()]}，不是工作日，请确认。")
    if start - now < timedelta(hours=1):
        minutes = int((start - now).total_seconds() // 60)
        warnings.append(f"距离会议开始不足 1 小时（还有 {minutes} 分钟），部分提醒来不及发送，请尽快通知参会党员。")
    return MeetingDraft(kind, start, place, topic, tuple(warnings))


# ---- reminders and sign-in
DEFAULT_OFFSETS: tuple[timedelta, ...] = (timedelta(days=3), timedelta(days=1), timedelta(hours=1))


def reminder_times(start: datetime, offsets: Sequence[timedelta] = DEFAULT_OFFSETS, *,
                   now: datetime | None = None) -> list[tuple[timedelta, datetime]]:
    """(offset, when) for each reminder, earliest first; with `now`, those not after it are left out
    (a meeting scheduled for tomorrow gets no "3 days before" reminder)."""
    start = _local(start)
    due = sorted(((o, start - o) for o in offsets), key=lambda pair: pair[1])
    return [pair for pair in due if now is None or pair[1] > _local(now)]


def _span(delta: timedelta) -> str:
    """3 天, 1 小时, 1 天 6 小时, 30 分钟."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n} {unit}" for n, unit in ((days, "天"), (hours, "小时"), (minutes, "分钟")) if n]
    return " ".join(parts) or "0 分钟"


def when_text(start: datetime) -> str:
    """「12月1日（周二）14:30」."""
    start = _local(start)
    return f"{start.month}月{start.day}日（{_WEEKDAYS[start.weekday()]}）{start:%H:%M}"


def details_text(place: str, topic: str) -> str:
    """The 地点 and 主题 lines (each left out when empty)."""
    # Empty place or topic lines are left out rather than shown as 「地点：」.
    return "".join(f"\n{label}：{value}" for label, value in (("地点", place), ("主题", topic)) if value)


def reminder_text(meeting_name: str, start: datetime, place: str, topic: str, offset: timedelta) -> str:
    return (f"⏰ 会议提醒：{meeting_name}将于 {when_text(start)} 召开（还有 {_span(offset)}）"
            f"{details_text(place, topic)}\n请准时参加，到会后发送「签到」。")


def signin_window(start: datetime, before: timedelta = timedelta(minutes=30),
                  after: timedelta = timedelta(hours=2)) -> tuple[datetime, datetime]:
    """(opens, closes), both inclusive: members arriving early or late can still sign in."""
    start = _local(start)
    return start - before, start + after


def signin_state(start: datetime, now: datetime, before: timedelta = timedelta(minutes=30),
                 after: timedelta = timedelta(hours=2)) -> Literal["early", "open", "closed"]:
    opens, closes = signin_window(start, before, after)
    now = _local(now)
    return "early" if now < opens else "open" if now <= closes else "closed"


def changed_text(meeting_name: str, old_start: datetime, start: datetime, place: str, topic: str, *,
                 old_place: str | None = None) -> str:
    """The announcement of a changed meeting: what changed first, then the meeting as it now stands."""
    changes = []
    if _local(old_start) != _local(start):
        changes.append(f"时间由 {when_text(old_start)} 改为 {when_text(start)}")
    if old_place is not None and old_place != place:
        changes.append(f"地点由 {old_place or '未定'} 改为 {place or '未定'}")
    head = "，".join(changes) if changes else f"信息已更新，仍于 {when_text(start)} 召开"
    return f"📢 会议变更：{meeting_name}{head}{details_text(place, topic)}\n请相互转告，按新安排参加。"


def cancelled_text(meeting_name: str, start: datetime, place: str = "", reason: str = "") -> str:
    extra = "".join(f"\n{label}：{value}" for label, value in (("原地点", place), ("原因", reason)) if value)
    return f"❌ 会议取消：原定 {when_text(start)} 召开的{meeting_name}取消。{extra}\n请相互转告。"


# ---- compliance
def _check_period(period: str) -> None:
    if period not in PERIODS:
        raise ValueError(f"周期必须是 month、quarter 或 year，收到 {period!r}")


def period_bounds(period: str, day: date) -> tuple[date, date]:
    """[start, end) of the month, quarter (Jan/Apr/Jul/Oct) or year containing `day`."""
    _check_period(period)
    first = (day.month - 1) // _MONTHS_IN[period] * _MONTHS_IN[period] + 1
    end_month = first + _MONTHS_IN[period]
    end = date(day.year + 1, 1, 1) if end_month > 12 else date(day.year, end_month, 1)
    return date(day.year, first, 1), end


def period_label(period: str, day: date) -> str:
    _check_period(period)
    if period == "month":
        return f"{day.year}年{day.month}月"
    if period == "quarter":
        return f"{day.year}年第{'一二三四'[(day.month - 1) // 3]}季度"
    return f"{day.year}年"


@dataclass(frozen=True)
class Compliance:
    type: MeetingType
    period_start: date  # inclusive
    period_end: date  # exclusive
    held: int
    required: int
    behind: bool  # held < required: not yet met (the period may still be running)
    period: str  # the period actually checked: month, quarter or year (see compliance())


def _as_date(d: date) -> date:
    # datetime is a date subclass but cannot be compared with one.
    return _local(d).date() if isinstance(d, datetime) else d


def compliance(types: Iterable[MeetingType], held_dates: Mapping[str, Sequence[date]], day: date, *,
               report_period: str | None = None) -> list[Compliance]:
    """Meetings held against the requirement, per type, for the period containing `day`.

    held_dates: type key -> days its meetings were held (dates or datetimes).
    Without report_period each type is checked over its own period. With one, over report_period:
    a finer type's requirement is multiplied (支委会 ×3 a quarter, ×12 a year); a coarser type (组织生活会 in a
    quarter report) requires nothing except in the last report period of its own period (Q4), where its whole
    period is checked — so its Compliance then spans the year, not the quarter.
    """
    if report_period is not None:
        _check_period(report_period)
    result = []
    for t in types:
        period, required = t.period, t.required
        if report_period is not None:
            own, report = _MONTHS_IN[t.period], _MONTHS_IN[report_period]
            if own <= report:
                period, required = report_period, t.required * (report // own)
            elif period_bounds(report_period, day)[1] != period_bounds(t.period, day)[1]:
                period, required = report_period, 0
        start, end = period_bounds(period, day)
        held = sum(start <= _as_date(d) < end for d in held_dates.get(t.key, ()))
        result.append(Compliance(t, start, end, held, required, held < required, period))
    return result


def _period_word(c: Compliance, day: date) -> str:
    if c.period_start <= day < c.period_end:
        return {"month": "本月", "quarter": "本季度", "year": "本年度"}[c.period]
    return period_label(c.period, c.period_start)


def overdue_lines(compliance_list: Iterable[Compliance], day: date) -> list[str]:
    """One Chinese line per type behind, e.g. 「本季度尚未召开支部党员大会（要求 1 次，已开 0 次）」."""
    lines = []
    for c in compliance_list:
        if not c.behind:
            continue
        verb, done = _VERB.get(c.type.key, ("召开", "已开"))
        when = _period_word(c, day)
        counts = f"（要求 {c.required} 次，{done} {c.held} 次）"
        if c.held == 0:
            lines.append(f"{when}尚未{verb}{c.type.name}{counts}")
        else:
            lines.append(f"{when}{c.type.name}还差 {c.required - c.held} 次{counts}")
    return lines


def attendance_rate(attended: int, expected: int) -> float | None:
    """attended / expected in [0, 1]; None when nobody was expected. Guests can push attended above
    expected, which is capped at 1 so a rate never reads as more than 100%."""
    if attended < 0 or expected < 0:
        raise ValueError("出席人数和应到人数不能为负数")
    return None if expected == 0 else min(1.0, attended / expected)
