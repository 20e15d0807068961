"""Question banks in YAML: the bundled bank, and broken files reported by file and question number."""

import textwrap
from pathlib import Path

import pytest

from quizzes.bank_yaml import BUNDLED_BANK_DIR, BankProblem, load_bank_file, load_banks
from quizzes.model import QuestionType

GOOD = """\
name: 廉洁自律
description: 测试题库
time_limit: 20
questions:
  - type: single
    question: 党的根本组织原则是（）。
    options: [集体领导制, 个人分工负责制, 少数服从多数, 民主集中制]
    answer: D
    explanation: 党章总纲。
  - type: 多选题
    question: “三会”包括（）。
    options: [支部党员大会, 支部委员会, 党小组会, 民主生活会]
    answer: C、A、B
  - type: judge
    question: 预备党员的预备期为两年。
    answer: 错
    time_limit: 45
  - type: blank
    question: 中共一大在浙江嘉兴（）的游船上闭幕。
    answer: [南湖, 嘉兴南湖]
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_bundled_sample_bank_loads_completely():
    path = BUNDLED_BANK_DIR / "sample.yaml"
    bank, problems = load_bank_file(path)
    assert problems == []
    assert bank is not None
    assert len(bank.questions) >= 60
    assert {q.type for q in bank.questions} == set(QuestionType)
    missing = [i for i, q in enumerate(bank.questions, start=1) if not q.explanation.strip()]
    assert missing == []
    # every question can be found again by its key after a restart
    assert len(bank.by_key) == len(bank.questions)


def test_bundled_directory_loads_without_problems():
    banks, problems = load_banks([BUNDLED_BANK_DIR])
    assert problems == []
    assert "党建基础知识" in banks


def test_good_file_is_read_into_canonical_questions(tmp_path):
    bank, problems = load_bank_file(write(tmp_path, "good.yaml", GOOD))
    assert problems == []
    assert (bank.name, bank.description, bank.time_limit, bank.source) == (
        "廉洁自律", "测试题库", 20, str(tmp_path / "good.yaml"))
    single, multiple, judge, blank = bank.questions
    assert (single.type, single.answer, single.explanation) == (QuestionType.SINGLE, "D", "党章总纲。")
    assert (multiple.type, multiple.answer) == (QuestionType.MULTIPLE, "ABC")
    assert (judge.answer, judge.time_limit) == ("错", 45)
    assert (blank.answer, blank.blanks) == ("南湖", (("南湖", "嘉兴南湖"),))


def test_bank_name_defaults_to_the_file_name(tmp_path):
    bank, _ = load_bank_file(write(tmp_path, "党史.yaml", GOOD.replace("name: 廉洁自律\n", "")))
    assert bank.name == "党史"


BROKEN = {
    "unknown type": ("""\
        name: 坏题库
        questions:
          - type: single
            question: 第一题
            options: [甲, 乙]
            answer: A
          - type: essay
            question: 论述题
            answer: 随意
        """, 2, "题型「essay」无法识别"),
    "answer letter beyond the options": ("""\
        name: 坏题库
        questions:
          - type: single
            question: 第一题
            options: [甲, 乙, 丙, 丁]
            answer: E
        """, 1, "答案「E」不是 A–D 范围内的选项字母"),
    "single with two answers": ("""\
        name: 坏题库
        questions:
          - type: judge
            question: 第一题
            answer: 对
          - type: judge
            question: 第二题
            answer: 错
          - type: single
            question: 第三题
            options: [甲, 乙, 丙]
            answer: AB
        """, 3, "单选题只能有一个答案"),
    "judge answer not 对/错": ("""\
        name: 坏题库
        questions:
          - type: judge
            question: 第一题
            answer: 也许
        """, 1, "判断题答案应为「对」或「错」"),
    "missing question": ("""\
        name: 坏题库
        questions:
          - type: blank
            question: 第一题
            answer: 南湖
          - type: blank
            answer: 南湖
        """, 2, "缺少 question"),
    "multiple with one answer": ("""\
        name: 坏题库
        questions:
          - type: multiple
            question: 第一题
            options: [甲, 乙, 丙]
            answer: B
        """, 1, "多选题至少有两个正确选项"),
    "missing answer": ("""\
        name: 坏题库
        questions:
          - type: single
            question: 第一题
            options: [甲, 乙]
        """, 1, "缺少 answer"),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_broken_question_rejects_the_file_naming_file_and_question_number(tmp_path, case):
    text, number, message = BROKEN[case]
    path = write(tmp_path, "bad.yaml", text)
    bank, problems = load_bank_file(path)
    assert bank is None
    assert len(problems) == 1
    problem = problems[0]
    assert problem.file == str(path)
    assert problem.question_no == number
    assert message in problem.message
    assert str(problem).startswith(f"{path}: 第 {number} 题: ")


def test_every_broken_question_in_a_file_is_reported(tmp_path):
    path = write(tmp_path, "bad.yaml", """\
        name: 坏题库
        questions:
          - type: judge
            question: 第一题
            answer: 也许
          - type: judge
            question: 第二题
            answer: 对
          - type: single
            options: [甲, 乙]
            answer: A
        """)
    bank, problems = load_bank_file(path)
    assert bank is None
    assert [p.question_no for p in problems] == [1, 3]


def test_bad_yaml_reports_its_line_number(tmp_path):
    path = write(tmp_path, "bad.yaml", """\
        name: 坏题库
        questions:
          - type: single
            question: 第一题
            options: [甲, 乙
            answer: A
        """)
    bank, problems = load_bank_file(path)
    assert bank is None
    [problem] = problems
    assert problem.file == str(path)
    assert problem.question_no is None
    assert "YAML 格式错误（第 6 行）" in problem.message
    assert str(problem).startswith(f"{path}: YAML 格式错误")


def test_bad_yaml_tab_indentation_reports_its_line(tmp_path):
    path = tmp_path / "tabs.yaml"
    path.write_text("name: x\nquestions:\n\t- type: judge\n", encoding="utf-8")
    bank, [problem] = load_bank_file(path)
    assert bank is None
    assert "第 3 行" in problem.message


@pytest.mark.parametrize("text", ["", "- 一\n- 二\n", "name: 空\nquestions: 没有\n"])
def test_file_without_a_question_list_is_a_file_problem(tmp_path, text):
    path = write(tmp_path, "odd.yaml", text)
    bank, [problem] = load_bank_file(path)
    assert bank is None and problem.question_no is None
    assert "questions" in problem.message


def test_empty_question_list_is_reported(tmp_path):
    bank, [problem] = load_bank_file(write(tmp_path, "empty.yaml", "name: 空\nquestions: []\n"))
    assert bank is None and "没有题目" in problem.message


def test_broken_file_does_not_stop_other_files_in_the_directory(tmp_path):
    write(tmp_path, "a_good.yaml", GOOD)
    bad = write(tmp_path, "b_bad.yaml", BROKEN["unknown type"][0])
    write(tmp_path, "c_other.yml", "name: 其他\nquestions:\n  - {type: judge, question: 判断, answer: 对}\n")
    write(tmp_path, "notes.txt", "not a bank")
    banks, problems = load_banks([tmp_path, tmp_path / "does-not-exist"])
    assert sorted(banks) == ["其他", "廉洁自律"]
    assert [(p.file, p.question_no) for p in problems] == [(str(bad), 2)]


def test_duplicate_bank_names_are_reported_and_the_first_kept(tmp_path):
    first_dir, second_dir = tmp_path / "one", tmp_path / "two"
    first_dir.mkdir()
    second_dir.mkdir()
    first = write(first_dir, "x.yaml", GOOD)
    second = write(second_dir, "y.yaml", GOOD.replace("党章总纲。", "另一份"))
    banks, problems = load_banks([first_dir, second_dir])
    assert banks["廉洁自律"].source == str(first)
    assert banks["廉洁自律"].questions[0].explanation == "党章总纲。"
    [problem] = problems
    assert problem.file == str(second)
    assert "廉洁自律" in problem.message and "重复" in problem.message and str(first) in problem.message


def test_problem_str_names_file_and_question():
    assert str(BankProblem("banks/a.yaml", "缺少 question", 4)) == "banks/a.yaml: 第 4 题: 缺少 question"
