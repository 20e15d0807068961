"""Reading and judging one answer to one question."""

import pytest

from quizzes.grading import Verdict, grade, judge, prepare, read_answer
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


@pytest.mark.parametrize(("typed", "reason"), [
    ("上海", "缺少关键词「南湖」"), ("南京", "缺少关键词「南湖」"), ("嘉兴", "缺少关键词「南湖」"),
    ("南湖湖", "答案中有多余内容"), ("trades", "答案中有多余内容"),
])
def test_blank_rejects_a_different_word(typed, reason):
    # The reason used to be 正确答案是「…」 for every wrong blank; it now says what is wrong (the spec).
    verdict = grade(BLANK if not typed.isascii() else LATIN_BLANK, typed)
    assert not verdict.correct
    assert verdict.given == typed
    assert verdict.reason == reason


def test_blank_without_accepted_list_uses_the_answer():
    question = Question(QuestionType.BLANK, "我们党的根本宗旨是全心全意为（）服务。", "人民")
    assert grade(question, "人民！").correct
    assert not grade(question, "群众").correct


def test_judge_grades_an_answer_already_read_and_grade_reads_it_first():
    assert judge(SINGLE, "D") == Verdict(True, "D", "")
    assert judge(MULTIPLE, "AB") == Verdict(False, "AB", "正确答案是 ABC")
    assert judge(BLANK, "嘉兴南湖") == Verdict(True, "嘉兴南湖", "")
    assert grade(MULTIPLE, "c、b、a") == Verdict(True, "ABC", "")
    assert grade(JUDGE, "正确") == Verdict(False, "对", "正确答案是 错")


@pytest.mark.parametrize(("question", "hint"), [
    (SINGLE, "不是有效的答案：请回复一个选项字母（A–D），如 A"),
    (MULTIPLE, "不是有效的答案：请回复所有正确选项的字母（A–D），如 ABD"),
    (JUDGE, "不是有效的答案：请回复「对」或「错」"),
    (BLANK, "不是有效的答案：请直接回复所填的内容"),
])
def test_grade_explains_how_to_answer_when_the_text_is_no_answer(question, hint):
    assert grade(question, "  ") == Verdict(False, "  ", hint)
    if question is not BLANK:
        assert grade(question, "这题好难啊") == Verdict(False, "这题好难啊", hint)


def test_a_blank_answer_of_punctuation_only_is_no_answer():
    assert read_answer(BLANK, "。。。") == "。。。"  # read_answer keeps its old behaviour for blanks
    assert grade(BLANK, "。。。") == Verdict(False, "。。。", "不是有效的答案：请直接回复所填的内容")
    two = Question.blank("既有（）更有（）。", [["甲"], ["乙"]])
    assert grade(two, "？").reason == "不是有效的答案：请直接回复所填的内容，几个空之间用空格或顿号隔开"


def test_prepare_counts_the_blank_questions_and_grading_still_works():
    assert prepare([SINGLE, BLANK, LATIN_BLANK, JUDGE]) == 2
    assert grade(BLANK, "南湖").correct and grade(LATIN_BLANK, "Trade").correct
