"""studybot.yaml's `points:` section: the 党建积分制 a committee runs — what each action is worth, each category's
daily and monthly caps, what a contest pays, and whether points by hand need a second 支委's 同意."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scheduler.points import DEFAULT_CAPS, Cap, Category, PointsRules, parse_category

__all__ = ["PointsSettings", "moved_points_keys"]

# keys from before the points section; a config that still has them keeps working, their values moved here
_MOVED = {("scoring", "daily_points"): "daily", ("scoring", "practice_points"): "practice",
          ("content", "study_points"): "study"}


class PointsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    study: int = Field(default=2, ge=0, le=100)  # 已学, once per member and item (an item's own `points` wins)
    daily: int = Field(default=2, ge=0, le=100)  # 每日一题 answered correctly
    practice: int = Field(default=1, ge=0, le=100)  # 错题练习: a mistake corrected for the first time
    contest_answer: int = Field(default=1, ge=0, le=100)  # a correct contest answer
    contest_bonus: bool = False  # true: the contest's speed and streak score counts in full instead
    approval: bool = True  # 加分/扣分 by hand count once a second 支委 sends 同意 编号
    manual_max: int = Field(default=20, ge=1, le=1000)  # the most one entry by hand gives or takes
    caps: dict[str, dict[str, int | None]] = {}  # category (学习, 答题 …) -> daily / monthly (null: none)

    @field_validator("caps")
    @classmethod
    def _known(cls, value: dict[str, dict[str, int | None]]) -> dict[str, dict[str, int | None]]:
        for word, limits in value.items():
            if parse_category(word) is None:
                raise ValueError(f"points.caps 中没有类别「{word}」"
                                 "（可用：学习、答题、组织生活、志愿服务、先锋作用、扣分）")
            unknown = set(limits) - {"daily", "monthly"}
            if unknown:
                raise ValueError(f"points.caps.{word} 只能设置 daily 和 monthly，不认识 {'、'.join(sorted(unknown))}")
            for key, limit in limits.items():
                if limit is not None and not 0 <= limit <= 100_000:
                    raise ValueError(f"points.caps.{word}.{key} 应为 0 到 100000 之间的整数，或 null（不设上限）")
        return value

    def rules(self) -> PointsRules:
        caps = dict(DEFAULT_CAPS)
        for word, limits in self.caps.items():
            category = parse_category(word)
            assert category is not None
            old = caps.get(category, Cap())
            caps[category] = Cap(daily=limits.get("daily", old.daily), monthly=limits.get("monthly", old.monthly))
        return PointsRules(caps=caps, contest_answer=self.contest_answer, contest_bonus=self.contest_bonus,
                           approval=self.approval, manual_max=self.manual_max)

    def cap(self, category: Category) -> Cap:
        return self.rules().cap(category)


def moved_points_keys(data: Any) -> Any:
    """The raw config with the keys that moved into `points:` moved there (unless points: sets them itself)."""
    if not isinstance(data, dict):
        return data
    for (section, key), new in _MOVED.items():
        old = data.get(section)
        if isinstance(old, dict) and key in old:
            data[section] = {k: v for k, v in old.items() if k != key}
            points = data.setdefault("points", {}) or {}
            if isinstance(points, dict):
                points.setdefault(new, old[key])
                data["points"] = points
    return data
