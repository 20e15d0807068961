"""党建积分's pure rules (scheduler/points.py): categories, caps, what a contest pays; and the points: settings."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.settings import Settings
from scheduler.points import Cap, Category, PointsRules, category_keys, parse_category, room_left, withheld_keys


def test_categories_are_read_as_people_write_them() -> None:
    assert parse_category("答题") is Category.QUIZ and parse_category("知识竞赛") is Category.QUIZ
    assert parse_category("组织生活") is Category.MEETING and parse_category("三会一课") is Category.MEETING
    assert parse_category(" 志愿服务 ") is Category.SERVICE and parse_category("先锋作用") is Category.VANGUARD
    assert parse_category("扣分") is Category.PENALTY and parse_category("本月") is None


def test_a_meeting_weighs_at_least_as_much_as_a_days_answering_by_default() -> None:
    rules, settings = PointsRules(), Settings()
    meeting_points = 5  # scheduler/meetings/kinds.py: every meeting type's default
    assert rules.cap(Category.QUIZ).daily is not None and rules.cap(Category.QUIZ).daily <= meeting_points
    assert settings.points.contest_answer <= settings.points.daily <= meeting_points
    assert rules.cap(Category.MEETING) == Cap() and rules.cap(Category.PENALTY) == Cap()


def test_a_contest_pays_base_points_unless_its_bonus_is_configured_to_count() -> None:
    assert PointsRules().contest_points(correct=True, score=14) == 1
    assert PointsRules().contest_points(correct=False, score=-2) == 0
    assert PointsRules(contest_bonus=True).contest_points(correct=True, score=14) == 14


def test_room_left_is_the_smaller_of_the_days_and_the_months() -> None:
    cap = Cap(daily=5, monthly=60)
    assert room_left(cap, today=3, this_month=10) == 2
    assert room_left(cap, today=0, this_month=58) == 2
    assert room_left(cap, today=7, this_month=10) == 0  # over already (a cap lowered mid-day): nothing, not negative
    assert room_left(Cap(), today=100, this_month=1000) is None


@given(st.integers(0, 50), st.integers(0, 50), st.integers(0, 500), st.integers(0, 500))
def test_room_left_never_lets_a_total_pass_either_cap(daily: int, today: int, monthly: int, month: int) -> None:
    room = room_left(Cap(daily=daily, monthly=monthly), today=today, this_month=month)
    assert room is not None and room >= 0
    if today <= daily and month <= monthly:
        assert today + room <= daily and month + room <= monthly


def test_each_category_counts_under_its_own_period_and_day_keys() -> None:
    keys = category_keys(date(2026, 3, 2), Category.QUIZ)
    assert keys == ["W2026-10/quiz", "M2026-03/quiz", "Q2026-1/quiz", "Y2026/quiz", "ALL/quiz", "D2026-03-02/quiz"]
    assert withheld_keys(date(2026, 3, 2), Category.QUIZ) == ("D2026-03-02/quiz-", "M2026-03/quiz-")
    assert max(len(k) for c in Category for k in [*category_keys(date(2026, 12, 31), c),
                                                   *withheld_keys(date(2026, 12, 31), c)]) <= 24


def test_points_settings_merge_caps_with_the_defaults() -> None:
    caps = {"答题": {"daily": 10}, "学习": {"monthly": None}}
    rules = Settings.model_validate({"points": {"caps": caps}}).points.rules()
    assert rules.cap(Category.QUIZ) == Cap(daily=10, monthly=60)
    assert rules.cap(Category.STUDY) == Cap(daily=4, monthly=None)


@pytest.mark.parametrize(("caps", "says"), [
    ({"游戏": {"daily": 1}}, "points.caps 中没有类别「游戏」"),
    ({"答题": {"weekly": 1}}, "只能设置 daily 和 monthly"),
    ({"答题": {"daily": -1}}, "应为 0 到 100000 之间的整数"),
])
def test_bad_caps_are_refused_with_the_key_named(caps: dict, says: str) -> None:
    with pytest.raises(ValidationError) as error:
        Settings.model_validate({"points": {"caps": caps}})
    assert says in str(error.value)


def test_the_keys_that_moved_into_points_still_work() -> None:
    settings = Settings.model_validate({"scoring": {"daily_points": 7, "base_points": 20},
                                        "content": {"study_points": 3}})
    assert (settings.points.daily, settings.points.study, settings.scoring.base_points) == (7, 3, 20)
    explicit = Settings.model_validate({"scoring": {"daily_points": 7}, "points": {"daily": 4}})
    assert explicit.points.daily == 4  # points: wins over the old key
