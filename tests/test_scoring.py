"""Points for one answer: speed, streaks, wrong answers."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.scoring import ScoringRules, points_for

RULES = ScoringRules()  # base 10, full points within 3 s, half at the deadline, +2 per streak up to +6


def correct(elapsed, *, limit=30, streak=0, rules=RULES):
    return points_for(rules, correct=True, elapsed=elapsed, time_limit=limit, streak=streak)


@pytest.mark.parametrize("elapsed", [0, 0.5, 2.9, 3.0])
def test_full_points_within_the_first_seconds(elapsed):
    assert correct(elapsed) == 10


def test_points_fall_linearly_to_exactly_half_at_the_deadline():
    rules = ScoringRules(base_points=100)
    # window 3..30 s: each fifth of the way down costs a tenth of the base points
    assert [correct(3 + 27 * k / 5, rules=rules) for k in range(6)] == [100, 90, 80, 70, 60, 50]
    assert correct(16.5, rules=rules) == 75
    assert correct(30, rules=rules) == 50
    assert correct(30) == 5


def test_points_never_rise_as_time_passes():
    earned = [correct(t / 10, rules=ScoringRules(base_points=1000)) for t in range(0, 301)]
    assert earned == sorted(earned, reverse=True)
    assert earned[0] == 1000 and earned[-1] == 500


@pytest.mark.parametrize("elapsed", [30.001, 31, 120])
def test_never_below_half_for_a_correct_answer_even_late(elapsed):
    assert correct(elapsed) == 5


def test_per_question_time_limit_sets_the_deadline():
    assert correct(60, limit=60) == 5
    assert correct(31.5, limit=60) == 8  # halfway down a 3..60 s window: 7.5 -> 8


def test_time_limit_shorter_than_the_full_points_window_gives_full_points():
    assert correct(2, limit=2) == 10


@pytest.mark.parametrize(("streak", "bonus"), [(0, 0), (1, 2), (2, 4), (3, 6), (4, 6), (50, 6)])
def test_streak_bonus_and_its_cap(streak, bonus):
    assert correct(0, streak=streak) == 10 + bonus
    assert correct(30, streak=streak) == 5 + bonus


def test_configured_streak_bonus():
    rules = ScoringRules(streak_bonus=5, streak_bonus_max=12)
    assert [correct(0, streak=s, rules=rules) for s in range(5)] == [10, 15, 20, 22, 22]
    assert correct(0, streak=9, rules=ScoringRules(streak_bonus=0)) == 10


@pytest.mark.parametrize("elapsed", [0, 15, 30])
@pytest.mark.parametrize("streak", [0, 3])
def test_wrong_answer_scores_zero_by_default(elapsed, streak):
    assert points_for(RULES, correct=False, elapsed=elapsed, time_limit=30, streak=streak) == 0


@pytest.mark.parametrize("streak", [0, 3])
def test_wrong_answer_scores_the_configured_negative_value(streak):
    rules = ScoringRules(wrong_points=-3)
    assert points_for(rules, correct=False, elapsed=1, time_limit=30, streak=streak) == -3


@settings(max_examples=300, deadline=None)
@given(
    limit=st.integers(min_value=5, max_value=600),
    share=st.floats(min_value=0, max_value=1),
    streak=st.integers(min_value=0, max_value=100),
    base=st.integers(min_value=1, max_value=500).map(lambda n: 2 * n),  # base * 0.5 is a whole number
    bonus=st.integers(min_value=0, max_value=10),
    cap=st.integers(min_value=0, max_value=30),
    full_within=st.floats(min_value=0, max_value=10),
)
def test_correct_answer_earns_between_min_factor_share_and_base_plus_cap(
        limit, share, streak, base, bonus, cap, full_within):
    rules = ScoringRules(base_points=base, min_factor=0.5, streak_bonus=bonus, streak_bonus_max=cap,
                         full_points_within=full_within)
    elapsed = share * limit
    earned = correct(elapsed, limit=limit, streak=streak, rules=rules)
    assert base * rules.min_factor <= earned <= base + cap


@settings(max_examples=200, deadline=None)
@given(elapsed=st.floats(min_value=0, max_value=30), streak=st.integers(min_value=0, max_value=20))
def test_default_rules_correct_answer_range(elapsed, streak):
    earned = correct(elapsed, streak=streak)
    assert RULES.base_points * RULES.min_factor <= earned <= RULES.base_points + RULES.streak_bonus_max
    assert earned > points_for(RULES, correct=False, elapsed=elapsed, time_limit=30, streak=streak)


@pytest.mark.parametrize(("base", "at_least"), [(1, 1), (5, 3), (9, 5)])
def test_odd_base_points_never_below_half_at_the_deadline(base, at_least):
    # settings allow any base_points from 1 to 1000 with min_factor 0.5
    assert correct(30, rules=ScoringRules(base_points=base)) >= at_least
