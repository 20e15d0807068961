"""党建积分's categories, their daily and monthly caps, and what a contest pays: the rules a committee's 积分制
sets, pure (no clock, no storage). Where the points come from is the callers'; how much of them counts is here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from scheduler.periods import Period, period_key, period_keys

__all__ = ["Category", "CATEGORY_LABELS", "MANUAL_CATEGORIES", "Cap", "DEFAULT_CAPS", "PointsRules", "parse_category",
           "category_key", "category_keys", "day_key", "month_key", "withheld_keys", "room_left", "REASON_CATEGORIES"]


class Category(StrEnum):
    STUDY = "study"  # 已学: study items read
    QUIZ = "quiz"  # contests, 每日一题, 错题练习
    MEETING = "meeting"  # 三会一课 attendance
    SERVICE = "service"  # 志愿服务, by hand
    VANGUARD = "vanguard"  # 先锋作用, by hand
    PENALTY = "penalty"  # 扣分, by hand


CATEGORY_LABELS: dict[Category, str] = {
    Category.STUDY: "学习", Category.QUIZ: "答题", Category.MEETING: "组织生活",
    Category.SERVICE: "志愿服务", Category.VANGUARD: "先锋作用", Category.PENALTY: "扣分",
}
_WORDS: dict[str, Category] = {
    **{label: category for category, label in CATEGORY_LABELS.items()},
    "学习积分": Category.STUDY, "答题积分": Category.QUIZ, "竞赛": Category.QUIZ, "知识竞赛": Category.QUIZ,
    "组织生活积分": Category.MEETING, "三会一课": Category.MEETING, "会议": Category.MEETING,
    "志愿": Category.SERVICE, "先锋": Category.VANGUARD, "先锋模范": Category.VANGUARD, "减分": Category.PENALTY,
    **{category.value: category for category in Category},
}
# what a 支委 may award by hand (加分); 扣分 always goes to PENALTY, whatever it is about
MANUAL_CATEGORIES = (Category.SERVICE, Category.VANGUARD, Category.STUDY, Category.MEETING)
# the ledger's reasons written by the bot itself, and the category each counts under
REASON_CATEGORIES: dict[str, Category] = {
    "contest": Category.QUIZ, "daily": Category.QUIZ, "practice": Category.QUIZ,
    "study": Category.STUDY, "meeting": Category.MEETING,
}


def parse_category(word: str | None) -> Category | None:
    return _WORDS.get(word.strip().lower()) if word else None


@dataclass(frozen=True)
class Cap:
    """At most `daily` points a day and `monthly` a month in one category (None: no cap)."""
    daily: int | None = None
    monthly: int | None = None

    def text(self) -> str:
        parts = [f"每日 {self.daily} 分" if self.daily is not None else "",
                 f"每月 {self.monthly} 分" if self.monthly is not None else ""]
        return "、".join(p for p in parts if p) or "不设上限"


# Defaults that keep the proportions a committee expects: a day's answering (5 correct answers, or 每日一题 and a
# few corrected mistakes) is worth no more than attending one meeting (5), and reading is capped like 学习强国's
# daily reading. By-hand categories have monthly caps so one good deed does not outweigh a month of meetings.
DEFAULT_CAPS: dict[Category, Cap] = {
    Category.STUDY: Cap(daily=4, monthly=40),
    Category.QUIZ: Cap(daily=5, monthly=60),
    Category.MEETING: Cap(),
    Category.SERVICE: Cap(monthly=20),
    Category.VANGUARD: Cap(monthly=20),
    Category.PENALTY: Cap(),
}


@dataclass(frozen=True)
class PointsRules:
    caps: Mapping[Category, Cap] = field(default_factory=lambda: dict(DEFAULT_CAPS))
    contest_answer: int = 1  # 党建积分 per correct contest answer
    contest_bonus: bool = False  # True: a contest's speed and streak score is what counts, not contest_answer
    approval: bool = True  # points by hand count only once a second 支委 agrees (同意 编号)
    manual_max: int = 20  # the most one entry by hand may give or take

    def cap(self, category: Category) -> Cap:
        return self.caps.get(category, Cap())

    def contest_points(self, *, correct: bool, score: int) -> int:
        """What a contest answer adds to 党建积分: `score` is its points on the contest's own podium."""
        if self.contest_bonus:
            return score
        return self.contest_answer if correct else 0


def category_key(key: str, category: Category | None) -> str:
    """The totals key of `category` within the period `key` (「M2026-03」 → 「M2026-03/quiz」); `key` itself for all
    categories together. The one place this format is written: rankings, 我的积分 and the dashboard read it."""
    return f"{key}/{category.value}" if category is not None else key


def category_keys(day: date, category: Category) -> list[str]:
    """The totals a point earned on `day` in `category` counts toward: the category's periods, and its day."""
    return [category_key(key, category) for key in period_keys(day)] + [day_key(day, category)]


def day_key(day: date, category: Category) -> str:
    return category_key(f"D{day.isoformat()}", category)


def withheld_keys(day: date, category: Category) -> tuple[str, str]:
    """Where the points over a cap are counted (day, month): a member is told the first time any is withheld."""
    return f"{day_key(day, category)}-", f"{month_key(day, category)}-"


def month_key(day: date, category: Category) -> str:
    return category_key(period_key(Period.MONTH, day), category)


def room_left(cap: Cap, *, today: int, this_month: int) -> int | None:
    """How many more points the cap lets in (None: no cap)."""
    rooms = [limit - held for limit, held in ((cap.daily, today), (cap.monthly, this_month)) if limit is not None]
    return max(min(rooms), 0) if rooms else None
