"""Chinese schedule phrases → APScheduler triggers.

「每周一 09:00」「每个工作日 9点」「每月第一个工作日 08:30」「每季度第一个工作日 09:00」
「2026-12-01 09:00」「12月1日 下午2点30」and 5-field cron「0 9 * * 1」. Phrases that are not
workday-based themselves are wrapped in a ShiftedTrigger so a plan that lands on a holiday moves
to the next workday (or is skipped).
Errors are WhenError with a Chinese message meant for the user who typed the phrase.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import islice

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from scheduler.phrase_parts import NUM, cn_int, cn_ordinal, cron_weekdays, normalise, parse_time, squeeze, weekdays
from scheduler.shanghai import FARTHEST_AHEAD, TZ, WEEKDAY_NAMES, as_shanghai, format_time
from scheduler.triggers import POLICIES, MonthlyWorkdayTrigger, ShiftedTrigger
from scheduler.workdays import WorkCalendar

__all__ = ["When", "WhenError", "parse_when", "fire_times", "occurrences", "format_time", "SHIFT_POLICIES", "EXAMPLES"]

SHIFT_POLICIES = POLICIES
EXAMPLES = ("每天 09:00", "每个工作日 09:00", "每周一 09:00", "每月1日 09:00", "每月第一个工作日 08:30",
            "每季度第一个工作日 09:00", "2026-12-01 09:00", "0 9 * * 1")
_SUFFIX = {"next_workday": "（遇节假日顺延至下一个工作日）", "skip": "（遇节假日跳过）", "none": ""}
_DAY_ABBR = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # APScheduler's day_of_week names


class WhenError(ValueError):
    """A phrase we could not turn into a schedule; `message` is shown to the user as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class When:
    trigger: BaseTrigger  # ready for scheduler.add_job(trigger=...)
    text: str  # canonical phrase: parses back to the same schedule
    once: bool  # a one-off date (DateTrigger underneath)
    description: str  # Chinese, for confirmations and 「计划列表」


def _wrap(base: BaseTrigger, calendar: WorkCalendar, shift: str, keep: frozenset[int] = frozenset()) -> BaseTrigger:
    return base if shift == "none" else ShiftedTrigger(base, calendar, shift, keep_weekdays=keep)


def _shift_note(shift: str, days: list[int] | None = None, keep: frozenset[int] = frozenset()) -> str:
    if days is not None and set(days) <= keep:
        return ""  # only explicitly chosen weekend days: nothing is ever moved
    return _SUFFIX[shift]


def _cron(s: str, calendar: WorkCalendar, shift: str, fail: Callable[[str], WhenError]) -> When:
    fields = re.sub(r"^cron\s*:?\s*", "", s).split()
    if len(fields) != 5:
        raise fail("cron 表达式应为 5 段：分 时 日 月 周")
    minute, hour, day, month, dow = fields
    weekdays = cron_weekdays(dow, fail)
    day = "*" if day == "?" else day
    if weekdays is not None and day != "*":
        # Standard cron ORs day-of-month with day-of-week, APScheduler ANDs them: refuse instead of guessing.
        raise fail("cron 表达式不能同时限定「日」和「周」，请只限定其一")
    dow_arg = "*" if weekdays is None else ",".join(_DAY_ABBR[w] for w in weekdays)
    try:
        base = CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=dow_arg, timezone=TZ)
    except ValueError as exc:
        raise fail(f"cron 表达式有误（{exc}）") from exc
    keep = frozenset(w for w in weekdays or () if w >= 5) if weekdays and len(weekdays) < 7 else frozenset()
    text = " ".join(fields)
    return When(_wrap(base, calendar, shift, keep), text, False, f"cron「{text}」{_shift_note(shift, weekdays, keep)}")


def _one_off(day: date, at: time, calendar: WorkCalendar, shift: str, now: datetime,
             fail: Callable[[str], WhenError]) -> When:
    run = datetime.combine(day, at, tzinfo=TZ)
    text = f"{day.isoformat()} {at:%H:%M}"
    if run <= now:
        raise fail(f"「{text}」已经过去，请写一个将来的时间")
    if run - now > FARTHEST_AHEAD:
        raise fail(f"「{text}」太远，最多安排到两年以内，请检查年份")
    return When(_wrap(DateTrigger(run, timezone=TZ), calendar, shift), text, True,
                f"仅一次：{day.year}年{format_time(run)}{_SUFFIX[shift]}")


def parse_when(text: str, *, calendar: WorkCalendar, now: datetime, shift: str = "next_workday") -> When:
    """Parse a schedule phrase. `now` (the caller's clock: this module reads none) dates one-offs like 「12月1日」."""
    original = text.strip()
    if shift not in POLICIES:
        raise WhenError(f"节假日处理方式应为 next_workday（顺延）、skip（跳过）或 none（照常），而不是「{shift}」")
    now = as_shanghai(now)

    def fail(reason: str) -> WhenError:
        return WhenError(f"看不懂时间「{original}」：{reason}")

    s = normalise(text)
    if re.fullmatch(r"(?:cron\s*:?\s*)?[0-9a-z*/,\-?]+(?:\s+[0-9a-z*/,\-?]+)*", s) and (
            s.startswith("cron") or "*" in s or len(s.split()) >= 3):
        return _cron(s, calendar, shift, fail)
    s = squeeze(s)

    def at(m: re.Match[str], day_text: str) -> time:
        return parse_time(s[m.end():].strip(), fail, day_text)

    def cron_based(day_text: str, t: time, keep: frozenset[int] = frozenset(), days: list[int] | None = None,
                   **fields: str) -> When:
        base = CronTrigger(hour=t.hour, minute=t.minute, timezone=TZ, **fields)
        note = _shift_note(shift, days, keep)
        return When(_wrap(base, calendar, shift, keep), f"{day_text} {t:%H:%M}", False, f"{day_text} {t:%H:%M}{note}")

    if m := re.match(r"每天|每日|天天", s):
        return cron_based("每天", at(m, "每天"))
    if m := re.match(r"(?:每一?个?)?工作日", s):
        t = at(m, "每个工作日")
        base = ShiftedTrigger(CronTrigger(hour=t.hour, minute=t.minute, timezone=TZ), calendar, "skip")
        return When(base, f"每个工作日 {t:%H:%M}", False, f"每个工作日 {t:%H:%M}")
    workday_re = rf"的?(?:第(?P<n>{NUM})个?|(?P<first>首个|头一个)|(?P<last>最后一个|最后1个|倒数第一个))工作日"
    if m := re.match(r"每一?个?(?P<unit>月|季度?)" + workday_re, s):
        quarterly = m["unit"] != "月"
        n = 1 if m["first"] else -1 if m["last"] else cn_int(m["n"])
        limit = 15 if quarterly else 23
        if n is None or not (n == -1 or 1 <= n <= limit):
            raise fail(f"第几个工作日应为 1～{limit}，或「最后一个」")
        day_text = ("每季度" if quarterly else "每月") + cn_ordinal(n) + "工作日"
        t = at(m, day_text)
        months = None if not quarterly else (3, 6, 9, 12) if n == -1 else (1, 4, 7, 10)
        trigger = MonthlyWorkdayTrigger(n, t.hour, t.minute, calendar, months=months)
        return When(trigger, f"{day_text} {t:%H:%M}", False, f"{day_text} {t:%H:%M}")
    if m := re.match(r"每一?个?月的?(?:最后一天|月底|月末)", s):
        return cron_based("每月最后一天", at(m, "每月最后一天"), day="last")
    if m := re.match(rf"每一?个?月的?(?P<days>(?:(?:{NUM})[日号]?[、,和及与])*(?:{NUM})[日号])", s):
        days = sorted({cn_int(d) or 0 for d in re.findall(rf"{NUM}", m["days"])})
        if days[0] < 1 or days[-1] > 31:
            raise fail("每月的日期应为 1～31 日")
        day_text = "每月" + "、".join(f"{d}日" for d in days)
        when = cron_based(day_text, at(m, day_text), day=",".join(map(str, days)))
        if days[-1] > 28:  # cron semantics: a month without that day is skipped, not moved; say so
            note = f"没有 {days[-1]} 日的月份不提醒"
            desc = when.description
            desc = desc[:-1] + f"；{note}）" if desc.endswith("）") else desc + f"（{note}）"
            when = When(when.trigger, when.text, False, desc)
        return when
    if m := re.match(r"(?:每一?个?)?(?:周|星期|礼拜)(?P<days>[一二三四五六日天末、,和及与至到~\-周星期礼拜]*)", s):
        if not m["days"]:
            nxt = s[m.end():m.end() + 1]
            raise fail("星期应为一到日" if nxt and nxt in "七八九十零〇" else "请写明星期几，例如「每周一 09:00」")
        days = weekdays(m["days"], fail)
        day_text = "每周" + "、".join(WEEKDAY_NAMES[d] for d in days)
        # Days the user explicitly put on a weekend stay there; shifting them would turn 「每周日」 into Mondays.
        keep = frozenset(d for d in days if d >= 5)
        return cron_based(day_text, at(m, day_text), keep, days, day_of_week=",".join(_DAY_ABBR[d] for d in days))

    today = now.date()
    if m := re.match(r"(?P<y>[0-9]{4})[-/.年](?P<m>[0-9]{1,2})[-/.月](?P<d>[0-9]{1,2})[日号]?", s):
        try:
            day = date(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            raise fail(f"「{m[0]}」不是有效日期") from None
        return _one_off(day, at(m, m[0]), calendar, shift, now, fail)
    if m := re.match(rf"(?P<m>{NUM})月(?P<d>{NUM})[日号]", s):
        month, dom = cn_int(m["m"]), cn_int(m["d"])
        t = at(m, m[0])
        for year in range(today.year, today.year + 9):  # 2月29日 may be up to 8 years away
            try:
                day = date(year, month or 0, dom or 0)
            except ValueError:
                continue
            if datetime.combine(day, t, tzinfo=TZ) > now:
                return _one_off(day, t, calendar, shift, now, fail)
        raise fail(f"「{m[0]}」不是有效日期")
    if m := re.match(r"今天|明天|后天", s):
        offset = ("今天", "明天", "后天").index(m[0])
        return _one_off(today + timedelta(days=offset), at(m, m[0]), calendar, shift, now, fail)
    raise fail("可以这样写：" + "".join(f"「{e}」" for e in EXAMPLES))


def fire_times(trigger: BaseTrigger, start: datetime, end: datetime) -> Iterator[datetime]:
    """Fire times in [start, end], one at a time, computed the way APScheduler advances a job."""
    start, end = as_shanghai(start), as_shanghai(end)
    t = trigger.get_next_fire_time(None, start)
    while t is not None:
        t = as_shanghai(t)
        if t > end:
            return
        if t >= start:  # a DateTrigger reports its run date even when it is before `start`
            yield t
        nxt = trigger.get_next_fire_time(t, t)
        if nxt is not None and as_shanghai(nxt) <= t:
            return  # a trigger that does not move forward would loop forever
        t = nxt


def occurrences(trigger: BaseTrigger, start: datetime, end: datetime, limit: int = 1000) -> list[datetime]:
    """Fire times in [start, end] (the first `limit` of them)."""
    return list(islice(fire_times(trigger, start, end), limit))

