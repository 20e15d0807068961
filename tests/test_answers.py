"""Choice and true/false answers typed the way members type them on a phone."""

import pytest

from quizzes.grading import looks_like_answer, normalize_text, parse_choice, parse_judge


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("A", "A"),
        ("a", "A"),
        ("ac", "AC"),
        ("CA", "AC"),  # letters come back in canonical order
        ("A、C", "AC"),
        ("A,C", "AC"),
        ("A，C", "AC"),
        ("A C", "AC"),
        ("A/C", "AC"),
        ("A+C", "AC"),
        ("  B  ", "B"),
        ("B。", "B"),
        ("Ａ", "A"),  # full-width letter from a Chinese input method
        ("ＡＣ", "AC"),
        ("答案：B", "B"),
        ("答案:b", "B"),
        ("答：D", "D"),
        ("选C", "C"),
        ("我选 A、D", "AD"),
        ("ABCD", "ABCD"),
    ],
)
def test_choice_answers_in_the_forms_people_type(typed, expected):
    assert parse_choice(typed, 4) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "E",  # beyond four options
        "AE",
        "AA",  # a letter twice
        "A、a",
        "",
        "   ",
        "ABCDE",  # more letters than options
        "对",
        "大家好",
        "1",
        "答案：",
    ],
)
def test_invalid_choice_answers_are_not_read(typed):
    assert parse_choice(typed, 4) is None


def test_letter_range_follows_the_number_of_options():
    assert parse_choice("E", 5) == "E"
    assert parse_choice("C", 2) is None
    assert parse_choice("H", 8) == "H"


@pytest.mark.parametrize("typed", ["对", "正确", "√", "✓", "T", "t", "true", "是", "Ｔ", "对。", "答案：对", "V",
                                   "对的", "是的", "正确的！", "对啊"])
def test_judge_words_for_true(typed):
    assert parse_judge(typed) == "对"


@pytest.mark.parametrize("typed", ["错", "错误", "×", "✗", "F", "f", "false", "否", "不对", "X", "错！", "答案：错",
                                   "错的", "错了", "不是", "不对啊", "不正确"])
def test_judge_words_for_false(typed):
    assert parse_judge(typed) == "错"


@pytest.mark.parametrize("typed", ["", "也许", "A", "对错", "不知道", "哈哈", "对了", "对吧", "不是吧", "的"])
def test_other_text_is_not_a_judge_answer(typed):
    assert parse_judge(typed) is None


def test_normalize_text_folds_full_width_and_trims():
    assert normalize_text("  Ａ１ ") == "A1"


@pytest.mark.parametrize("typed", ["E", "AA", "a c", "答案：F", "对", "×"])
def test_attempts_that_look_like_answers(typed):
    # invalid for the open question, but clearly an attempt: the member gets a hint
    assert looks_like_answer(typed)


@pytest.mark.parametrize("typed", ["大家好", "今天学习了吗", "收到", "123", ""])
def test_chatter_does_not_look_like_an_answer(typed):
    assert not looks_like_answer(typed)
