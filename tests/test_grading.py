"""Reading and judging one answer to one question."""

import pytest

from quizzes.grading import grade, read_answer
from quizzes.model import Question, QuestionType

SINGLE = Question(QuestionType.SINGLE, "党的根本组织原则是（）。", "D",
                  ("集体领导制", "个人分工负责制", "少数服从多数", "民主集中制"))
MULTIPLE = Question(QuestionType.MULTIPLE, "“三会一课”中的“三会”包括（）。", "ABC",
                    ("支部党员大会", "支部委员会", "党小组会", "民主生活会"))
JUDGE = Question(QuestionType.JUDGE, "预备党员的预备期为两年。", "错")
BLANK = Question.blank("中共一大最后一天的会议在浙江（）的游船上举行。", [["嘉兴南湖", "南湖"]])
LATIN_BLANK = Question.blank("WTO 的中文名称是世界（）组织。", [["贸易", "Trade"]])


@pytest.mark.parametrize("question", [SINGLE, MULTIPLE, JUDGE], ids=["single", "multiple", "judge"])
@pytest.mark.parametrize("chatter", ["大家好", "这题好难啊", "哈哈哈", "收到", "？", "", "   "])
def test_chatter_is_not_an_answer_to_choice_or_judge_questions(question, chatter):
    assert read_answer(question, chatter) is None


def test_single_choice_rejects_two_letters():
    assert read_answer(SINGLE, "AD") is None
    assert read_answer(SINGLE, "A、D") is None
    assert read_answer(SINGLE, "d") == "D"


def test_multiple_choice_reads_letters_canonically_and_grades_exact_set():
    assert read_answer(MULTIPLE, "c、b、a") == "ABC"
    assert grade(MULTIPLE, read_answer(MULTIPLE, "c b a")).correct
    partial = grade(MULTIPLE, read_answer(MULTIPLE, "AB"))
    assert not partial.correct
    assert partial.given == "AB"
    assert "ABC" in partial.reason


def test_choice_verdicts():
    right = grade(SINGLE, read_answer(SINGLE, "答案：Ｄ"))
    assert right.correct and right.given == "D" and right.reason == ""
    wrong = grade(SINGLE, read_answer(SINGLE, "A"))
    assert not wrong.correct and wrong.given == "A"
    assert wrong.reason == "正确答案是 D"


def test_judge_verdicts():
    assert read_answer(JUDGE, "×") == "错"
    assert grade(JUDGE, read_answer(JUDGE, "错误")).correct
    wrong = grade(JUDGE, read_answer(JUDGE, "√"))
    assert not wrong.correct and wrong.given == "对" and "错" in wrong.reason


def test_blank_reads_any_non_empty_text():
    assert read_answer(BLANK, "  南湖 ") == "南湖"
    assert read_answer(BLANK, "   ") is None


@pytest.mark.parametrize(
    "typed",
    ["嘉兴南湖", " 嘉兴南湖 ", "嘉兴 南湖", "嘉兴南湖。", "“嘉兴南湖”", "嘉兴南湖！", "南湖", "南 湖", "南湖."],
)
def test_blank_accepts_whitespace_and_punctuation_differences_and_alternatives(typed):
    assert grade(BLANK, read_answer(BLANK, typed)).correct


@pytest.mark.parametrize("typed", ["trade", "TRADE", "Ｔｒａｄｅ", "t r a d e", "贸易", "贸易。"])
def test_blank_accepts_case_and_full_width_differences(typed):
    assert grade(LATIN_BLANK, read_answer(LATIN_BLANK, typed)).correct


@pytest.mark.parametrize("typed", ["上海", "南京", "嘉兴", "南湖湖", "trades"])
def test_blank_rejects_a_different_word(typed):
    verdict = grade(BLANK if not typed.isascii() else LATIN_BLANK, typed)
    assert not verdict.correct
    assert verdict.given == typed
    assert verdict.reason.startswith("正确答案是「")


def test_blank_without_accepted_list_uses_the_answer():
    question = Question(QuestionType.BLANK, "我们党的根本宗旨是全心全意为（）服务。", "人民")
    assert grade(question, "人民！").correct
    assert not grade(question, "群众").correct
