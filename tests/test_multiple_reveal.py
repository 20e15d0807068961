"""A 多选 answer shows one option a line: option texts that contain 、 are not confused with the list's separator."""

from __future__ import annotations

from bot.render import reveal_text, verdict_lines
from quizzes.contest import Reveal
from quizzes.model import Question, QuestionType

QUESTION = Question(QuestionType.MULTIPLE, "“三会一课”包括（）。",
                    "AC", ("支部党员大会、支委会", "党课", "党小组会、民主生活会", "组织生活会"))


def test_each_correct_option_has_its_own_line() -> None:
    assert QUESTION.answer_display() == "AC\nA. 支部党员大会、支委会\nC. 党小组会、民主生活会"


def test_a_single_choice_answer_stays_on_one_line() -> None:
    single = Question(QuestionType.SINGLE, "题（）", "B", ("甲、乙", "丙"))
    assert single.answer_display() == "B. 丙"


def test_the_reveal_lists_the_options_one_a_line() -> None:
    text = reveal_text(Reveal(2, QUESTION, ()))
    assert text.startswith("⏰ 第 2 题答案：AC\nA. 支部党员大会、支委会\nC. 党小组会、民主生活会\n")
    first = verdict_lines("张三", QUESTION, False, "", 0)[0]
    assert first.endswith("正确答案：AC\nA. 支部党员大会、支委会\nC. 党小组会、民主生活会")
