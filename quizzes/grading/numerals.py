"""Chinese numerals in answers, turned into digits so that 二〇二〇年 and 2020年 compare equal.

Only numerals that stand for a number are converted, so that ordinary words keep their form
(统一, 一切, 一致 and 千万不要 stay as they are):

* compound numerals with 十/百/千/万/亿: 十九 → 19, 二十二 → 22, 一百零三 → 103, 两千 → 2000;
* digit-by-digit numerals with a zero (二〇二〇, 二零二〇, also 二O二O typed with a letter O or a digit 0),
  of two to four digits before 年 (一九二一年 → 1921年), or of four digits standing alone (一九四九);
* a single digit, or a lone 十/百/千, when it is preceded by 第 (第三 → 第3), followed by a measure word or
  unit (三次, 一年, 三中全会, 十九大 → 19大, 一百年 → 100年) or stands alone as the whole answer or blank (二 → 2);
* 两 only before a measure word (两个 → 2个, 两年 → 2年), never in 两岸 or 一国两制.

Numbered set phrases (数字概括语) are names, not counts: 两个维护, 四个全面, 三个代表, 四项基本原则 … are left
as written, whatever surrounds them. `SET_PHRASES` lists the common ones; callers add their own (a bank's answers
that look like set phrases, see `looks_like_set_phrase`). Digit strings without a zero and without 年 (七一, 八七
会议, 五四运动, 一二·九) are dates and names and are left alone too.

Input is expected case-folded (NFKC + lower()), as the graders produce it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["to_digits", "chinese_number", "SET_PHRASES", "looks_like_set_phrase"]

_DIGITS = {"〇": 0, "零": 0, "o": 0, "0": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
           "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZEROS = frozenset("〇零o0")
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
_CJK_NUMERAL = "〇零一二两三四五六七八九十百千万亿"

# A run starts with a Chinese numeral; a letter o or a digit 0 inside it is read as 〇 (二O二O, 二0二0).
_RUN = re.compile(f"[{_CJK_NUMERAL}][{_CJK_NUMERAL}o0]*")
_ANY = re.compile(f"[{_CJK_NUMERAL}]")

# Measure words and units after which a single digit is a count or an ordinal. Left out on purpose: 分 (十分 =
# "very"), 岁 (万岁), 点 (一点 = "a little"), 代 (一代伟人), 样, 切, 致 … which make ordinary words.
_UNITS = ("中全会", "周年", "世纪", "年", "月", "日", "号", "次", "届", "大", "个", "位", "名", "项", "条",
          "天", "周", "倍", "章", "节", "批", "轮", "期", "种", "类", "人", "件", "场", "层", "级", "篇", "句")
_MEASURES_FOR_LIANG = frozenset("个年次届位名项条天周倍批轮期种类人件场")

SET_PHRASES = frozenset({
    "一个中心", "两个基本点", "两个维护", "两个确立", "两个务必", "两个一百年", "两个结合", "两个凡是", "两个先锋队",
    "三个代表", "三个有利于", "三个务必", "三个世界", "三个自信", "三大作风", "三大法宝", "三大纪律", "三大改造",
    "三严三实", "三会一课", "四个全面", "四个意识", "四个自信", "四个伟大", "四个现代化", "四项基本原则",
    "五位一体", "五大发展理念", "八项规定", "八项注意", "一国两制", "一带一路", "两学一做", "两弹一星",
})

_SET_PHRASE_SHAPE = re.compile(r"^[一两二三四五六七八九十]+[个项大条种]\w{2,}$")


def looks_like_set_phrase(term: str) -> bool:
    """A numbered set phrase such as 两个维护 or 四项基本原则: a numeral, a measure word and a name."""
    return bool(_SET_PHRASE_SHAPE.match(term))


def chinese_number(numeral: str) -> int | None:
    """The value of a compound numeral (十九, 一百零三, 两千, 三万五千), or None if it is not one."""
    for unit, size in (("亿", 100_000_000), ("万", 10_000)):
        if unit in numeral:
            high, _, low = numeral.partition(unit)
            high_value = chinese_number(high) if high else None
            if high_value is None:
                return None
            if not low:
                return high_value * size
            low_value = chinese_number(low.lstrip("零〇"))
            return None if low_value is None else high_value * size + low_value
    return _below_ten_thousand(numeral)


def _below_ten_thousand(numeral: str) -> int | None:
    if not numeral:
        return None
    value, digit, last_unit, zero = 0, None, 10_000, False
    for ch in numeral:
        if ch in _ZEROS:
            if digit is not None or value == 0:
                return None  # 一零 or a leading 零 is not a compound numeral
            zero = True
            continue
        if ch in _DIGITS:
            if digit is not None:
                return None
            digit = _DIGITS[ch]
            continue
        unit = _SMALL_UNITS.get(ch)
        if unit is None or unit >= last_unit:
            return None
        if digit is None:
            if unit != 10 or value or zero:
                return None
            digit = 1  # 十九
        value += digit * unit
        digit, last_unit, zero = None, unit, False
    if digit is not None:
        if last_unit == 10_000:
            return digit
        if last_unit != 10 and not zero:
            return None  # 一百五 (150 or 105?): too colloquial to guess
        value += digit
    return value


@lru_cache(maxsize=64)
def _protected_pattern(terms: frozenset[str]) -> re.Pattern[str] | None:
    wanted = sorted((t for t in terms if _ANY.search(t)), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, wanted))) if wanted else None


def to_digits(text: str, keep: Iterable[str] = SET_PHRASES) -> str:
    """`text` with its Chinese numerals written in digits; terms in `keep` (set phrases) are left as written."""
    if not _ANY.search(text):
        return text
    terms = keep if isinstance(keep, frozenset) else frozenset(keep)
    pattern = _protected_pattern(terms)
    protected = [m.span() for m in pattern.finditer(text)] if pattern else []
    out: list[str] = []
    last = 0
    for match in _RUN.finditer(text):
        start, end = match.span()
        if any(s < end and start < e for s, e in protected):
            continue
        converted, end = _convert(text, start, end)
        if converted is not None:
            out.append(text[last:start])
            out.append(converted)
            last = end
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _zero_year(run: str) -> bool:
    """二O二O, 二0二0: digit by digit, with at least two Chinese digits and a letter o or digit 0 for 〇."""
    return (len(run) >= 3 and not any(ch in _SMALL_UNITS or ch in _BIG_UNITS or ch == "两" for ch in run)
            and sum(ch not in "o0" for ch in run) >= 2)


def _convert(text: str, start: int, end: int) -> tuple[str | None, int]:
    """The digits for text[start:end], and where they end (a trailing o/0 that does not belong is left)."""
    run = text[start:end]
    if any(ch in "o0" for ch in run) and not _zero_year(run):
        run = run.rstrip("o0")  # 一ok, 十0: the o/0 is not part of the numeral
        end = start + len(run)
        if any(ch in "o0" for ch in run):
            return None, end
    before = text[start - 1] if start else ""
    after = text[end:]
    alone = (not before or not (before.isalnum())) and (not after or not after[0].isalnum())
    after_unit = after.startswith(_UNITS)
    if any(ch in _SMALL_UNITS or ch in _BIG_UNITS for ch in run):
        if len(run) == 1 and not (before == "第" or after_unit or alone):
            return None, end  # 百姓, 十分, 万岁
        value = chinese_number(run)
        return (None if value is None else str(value)), end
    if "两" in run:
        if run == "两" and after[:1] in _MEASURES_FOR_LIANG:
            return "2", end
        return None, end
    if len(run) == 1:
        return (str(_DIGITS[run]) if before == "第" or after_unit or alone else None), end
    has_zero = any(ch in _ZEROS for ch in run)
    if has_zero or (len(run) <= 4 and after.startswith("年")) or (len(run) == 4 and alone):
        return "".join(str(_DIGITS[ch]) for ch in run), end
    return None, end
