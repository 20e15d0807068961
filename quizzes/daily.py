"""每日一题: which question a member gets on a given day."""

from __future__ import annotations

import random
from datetime import date

from quizzes.model import Question

__all__ = ["daily_question"]


def daily_question(questions: tuple[Question, ...], member_id: int, day: date, salt: int = 0) -> Question:
    """The same member gets the same question all day (asking twice shows it again),
    different members usually get different ones."""
    rng = random.Random(f"{salt}:{member_id}:{day.isoformat()}")
    return questions[rng.randrange(len(questions))]
