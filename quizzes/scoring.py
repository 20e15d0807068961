"""How many points a correct answer earns."""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["ScoringRules", "points_for"]


@dataclass(frozen=True)
class ScoringRules:
    base_points: int = 10  # a correct answer within `full_points_within` seconds
    full_points_within: float = 3.0
    min_factor: float = 0.5  # share of base_points left for a correct answer at the deadline
    streak_bonus: int = 2  # per earlier correct answer in an unbroken run
    streak_bonus_max: int = 6
    wrong_points: int = 0  # make it negative to penalise wrong answers


def points_for(rules: ScoringRules, *, correct: bool, elapsed: float, time_limit: float, streak: int) -> int:
    """Kahoot-style: full points early, falling linearly to `min_factor` at the deadline.
    `streak` is how many questions in a row the member already got right."""
    if not correct:
        return rules.wrong_points
    window = max(time_limit - rules.full_points_within, 0.001)
    late = min(max(elapsed - rules.full_points_within, 0.0), window) / window
    factor = 1.0 - (1.0 - rules.min_factor) * late
    bonus = min(streak * rules.streak_bonus, rules.streak_bonus_max)
    # never below the promised share, whatever rounding does to small or odd base points
    return max(round(rules.base_points * factor), math.ceil(rules.base_points * rules.min_factor)) + bonus
