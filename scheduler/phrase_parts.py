"""The words schedule phrases are made of (scheduler.phrases): numbers written in digits or Chinese, a time of
day (「09:00」「9点半」「下午2点」), weekday lists (「一、三、五」「一至五」「末」) and cron's day-of-week field.
A reader that meets something it cannot read raises what `fail` makes of the reason."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import time

from scheduler.shanghai import WEEKDAY_NAMES

__all__ = ["NUM", "DIGITLIKE", "cn_int", "cn_ordinal", "normalise", "squeeze", "parse_time", "weekdays",
           "cron_weekdays"]

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
NUM = r"[0-9]{1,2}|[零〇一二两三四五六七八九十]{1,3}"
DIGITLIKE = "0-9零〇一二两三四五六七八九十"
_TIME_RE = re.compile(
    rf"(?P<period>上午|早上|早晨|早|凌晨|中午|下午|午后|傍晚|晚上|晚间|夜里|晚)?(?P<h>{NUM})"
    rf"(?::(?P<m>[0-9]{{2}})|[点时](?:(?P<half>半)|(?P<m2>{NUM})分?|整|钟)?)"
)


def cn_int(s: str) -> int | None:
    """'15' / '十五' / '二十三' → int; None when it is not a number we read."""
    if re.fullmatch(r"[0-9]+", s):
        return int(s)
    if "十" in s:
        tens, _, ones = s.partition("十")
        if len(tens) > 1 or len(ones) > 1 or (tens and tens not in _CN_DIGITS) or (ones and ones not in _CN_DIGITS):
            return None
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return _CN_DIGITS.get(s) if len(s) == 1 else None


def cn_ordinal(n: int) -> str:
    if n == -1:
        return "最后一个"
    tens, ones = divmod(n, 10)
    digits = "一二三四五六七八九"
    word = ("" if tens == 0 else ("十" if tens == 1 else digits[tens - 1] + "十")) + (digits[ones - 1] if ones else "")
    return f"第{word}个"


def normalise(text: str) -> str:
    """NFKC (full-width ：０-９ → ASCII), lower case, runs of whitespace → one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text).strip().lower())


def squeeze(s: str) -> str:
    """Spaces are optional between parts, so drop them, except between two numbers (「2026-12-01 9:00」)."""
    return re.sub(rf"(?<![{DIGITLIKE}]) | (?![{DIGITLIKE}])", "", s)


def parse_time(rest: str, fail: Callable[[str], Exception], day_text: str) -> time:
    if not rest:
        raise fail(f"缺少时间，例如「{day_text} 09:00」")
    m = _TIME_RE.fullmatch(rest.replace(" ", ""))
    hour = cn_int(m["h"]) if m else None
    minute = 30 if m and m["half"] else cn_int(m["m"] or m["m2"] or "0") if m else None
    if m is None or hour is None or minute is None:
        raise fail(f"时间应为 HH:MM，例如 09:00（「{rest}」看不懂）")
    period = m["period"] or ""
    if period in ("下午", "午后", "傍晚", "晚上", "晚间", "夜里", "晚") and 1 <= hour < 12:
        hour += 12
    elif period == "中午" and 1 <= hour < 11:
        hour += 12
    elif period in ("凌晨", "晚上", "夜里") and hour == 12:
        hour = 0  # midnight
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise fail(f"「{rest}」不是有效时间，时间应为 HH:MM，例如 09:00")
    return time(hour, minute)


def weekdays(spec: str, fail: Callable[[str], Exception]) -> list[int]:
    """'一、三、五' / '一至五' / '末' / '一、周三' → sorted weekday numbers (0 = Monday)."""
    days: set[int] = set()
    for token in re.split(r"[、,和及与]", spec):
        token = re.sub(r"周|星期|礼拜", "", token)
        if token == "末":
            days |= {5, 6}
            continue
        ends = re.split(r"[至到~\-]", token)
        idx = [WEEKDAY_NAMES.find("日" if e == "天" else e) if len(e) == 1 else -1 for e in ends]
        if not token or len(ends) > 2 or -1 in idx:
            raise fail("星期应为一到日")
        if idx[0] > idx[-1]:
            raise fail(f"星期范围「{token}」应从小到大，例如 一至五")
        days.update(range(idx[0], idx[-1] + 1))
    return sorted(days)


def cron_weekdays(field: str, fail: Callable[[str], Exception]) -> list[int] | None:
    """Cron numbers days 0/7 = Sunday, 1 = Monday; APScheduler's numbers start at Monday = 0.
    Expanded to a set here and handed to CronTrigger as names, which mean the same to both."""
    if field in ("*", "?"):
        return None
    names = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
    bad = fail("cron 的「周」字段应为 0–7（0 和 7 为周日）或 mon–sun，例如 1-5")

    def value(v: str) -> int:
        if re.fullmatch(r"[0-7]", v):
            return int(v)
        if v in names:
            return names.index(v)
        raise bad

    cron_days: set[int] = set()
    for part in field.split(","):
        rng, slash, step = part.partition("/")
        if slash and not re.fullmatch(r"[1-9][0-9]?", step):
            raise bad
        if rng == "*":
            lo, hi = 0, 6
        elif "-" in rng:
            lo, hi = (value(v) for v in rng.split("-", 1))
        else:
            lo = value(rng)
            hi = 7 if slash else lo
        if lo > hi:
            raise bad
        cron_days.update(v % 7 for v in range(lo, hi + 1, int(step) if slash else 1))
    return sorted((d - 1) % 7 for d in cron_days)
