"""Importing question banks from .xlsx, CSV (UTF-8, UTF-8-BOM, GBK), JSON and YAML: header aliases,
type words and inference, answer forms, blanks, every problem with its row / entry number,
all-or-nothing, duplicates, and the public 1,486-entry 党史 bank."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

import quizzes
from quizzes.bank_io import BankError, BankRead, load_bank, read_bank
from quizzes.bank_yaml import BankProblem
from quizzes.model import QuestionType

FIXTURES = Path(__file__).parent / "fixtures" / "banks"
REAL_BANK = Path(__file__).resolve().parents[2] / "shared" / "data" / "public-banks" / "dangshi-1486.json"
S, M, J, B = QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.JUDGE, QuestionType.BLANK

HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析"]


def xlsx(path: Path, *sheets: tuple[str, list[list]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


def one_sheet(tmp_path: Path, rows: list[list], name: str = "bank.xlsx") -> Path:
    return xlsx(tmp_path / name, ("Sheet1", rows))


def read_rows(tmp_path: Path, rows: list[list]) -> BankRead:
    return read_bank(one_sheet(tmp_path, rows))


def only_question(tmp_path: Path, header: list, row: list):
    result = read_rows(tmp_path, [header, row])
    assert result.problems == [], [str(p) for p in result.problems]
    [question] = result.bank.questions
    return question


def problems_of(result: BankRead) -> list[tuple[int | None, str]]:
    assert result.bank is None
    return [(p.row if p.row is not None else p.question_no, p.message) for p in result.problems]


# ---------------------------------------------------------------- CSV encodings and the sample files


@pytest.mark.parametrize("name", ["questions-utf8.csv", "questions-utf8-bom.csv", "questions-gbk.csv"])
def test_csv_in_each_encoding_reads_the_same_questions(name):
    result = read_bank(FIXTURES / name)
    assert result.problems == []
    bank = result.bank
    assert bank.name == Path(name).stem and bank.source == str(FIXTURES / name)
    assert result.entries == 6 and result.duplicates_skipped == 0
    first, multiple, judge, blank, inferred, indefinite = bank.questions
    assert (first.type, first.answer, first.explanation) == (S, "A", "依据党章第十条。")
    assert first.options[0] == "党的全国代表大会和它所产生的中央委员会"
    assert (first.points, first.difficulty, first.topic) == (2.0, "易", "党的组织制度")
    assert (multiple.type, multiple.answer, multiple.text) == (M, "ABC", "“三会一课”中的“三会”包括（）。")
    assert (judge.type, judge.answer, judge.options) == (J, "错", ())
    assert (blank.type, blank.blanks) == (B, (("南湖", "嘉兴南湖"),))
    # no 题型: inferred from the options and an answer given as the option's text
    assert (inferred.type, inferred.answer) == (S, "D")
    # 不定项选择 with one correct option is a 单选, not a problem
    assert (indefinite.type, indefinite.answer) == (S, "A")
    assert result.type_counts == {S: 3, M: 1, J: 1, B: 1}


def test_csv_row_numbers_count_title_rows_and_quoted_line_breaks(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("党史题库\n\n题型,题干,选项,答案\n单选,第一题,\"A.甲\nB.乙\",C\n判断,第二题,,也许\n",
                    encoding="utf-8")
    result = read_bank(path)
    assert problems_of(result) == [
        (4, "答案「C」超出选项范围：本题只有 A–B 共 2 个选项"),
        (5, "判断题答案应为对/错（也可写正确/错误、√/×、T/F、是/否），实为「也许」"),
    ]
    assert str(result.problems[0]) == f"{path}: 第 4 行: 答案「C」超出选项范围：本题只有 A–B 共 2 个选项"


def test_gb18030_only_characters_and_tab_separated_csv(tmp_path):
    path = tmp_path / "tabs.csv"
    path.write_bytes("题干\t答案\n𠀀字是什么（）\t𠀀\n".encode("gb18030"))
    result = read_bank(path)
    assert result.problems == []
    assert result.bank.questions[0].blanks == (("𠀀",),)


def test_undecodable_csv_is_one_clear_problem(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\xff\xff\x00\x81\x30\xfe")
    [problem] = read_bank(path).problems
    assert "编码" in problem.message and problem.row is None


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize("header, row", [
    (["题型", "题目", "A", "B", "C", "D", "参考答案"],
     ["单选", "党的根本组织原则是（）。", "甲", "乙", "丙", "丁", "B"]),
    (["试题", "选项1", "选项2", "选项3", "选项4", "标准答案", "题型"],
     ["党的根本组织原则是（）。", "甲", "乙", "丙", "丁", "B", "单选"]),
    (["问题", "正确答案", "选项一", "选项二", "选项三", "选项四"],
     ["党的根本组织原则是（）。", "B", "甲", "乙", "丙", "丁"]),
    (["题　干", "选项Ａ", "选项 B", "选项C（可选）", "选项D", "答 案"],
     ["党的根本组织原则是（）。", "甲", "乙", "丙", "丁", "Ｂ"]),
    (["题型（单选/多选/判断/填空）", "题干*", "选项", "答案"],
     ["单选题", "党的根本组织原则是（）。", "甲|乙|丙|丁", "B"]),
    (["题干", "选项", "答案"], ["党的根本组织原则是（）。", "A.甲；B.乙；C.丙；D.丁", "B"]),
    (["题干", "选项", "答案"], ["党的根本组织原则是（）。", "A、甲\nB、乙\nC、丙\nD、丁", "B"]),
    (["题干", "选项", "答案"], ["党的根本组织原则是（）。", "A.甲 B.乙 C.丙 D.丁", "B"]),
    (["Question", "Option A", "Option B", "Option C", "Option D", "Answer", "Type"],
     ["党的根本组织原则是（）。", "A:甲", "B:乙", "C:丙", "D:丁", "b", "single"]),
])
def test_header_aliases_in_any_order(tmp_path, header, row):
    question = only_question(tmp_path, header, row)
    assert (question.type, question.text, question.options, question.answer) == (
        S, "党的根本组织原则是（）。", ("甲", "乙", "丙", "丁"), "B")


def test_explanation_and_extra_field_aliases(tmp_path):
    question = only_question(tmp_path, ["题干", "答案", "答案解析", "分数", "难易程度", "考点", "判分方式", "限时"],
                             ["党的宗旨是（）。", "全心全意为人民服务", "党章总纲。", "2.5分", 3,
                              "党的宗旨", "宽松", "30秒"])
    assert (question.type, question.explanation, question.points, question.difficulty, question.topic,
            question.strictness, question.time_limit) == (B, "党章总纲。", 2.5, "3", "党的宗旨", "lenient", 30)


def test_an_option_label_is_kept_when_not_every_option_has_one(tmp_path):
    question = only_question(tmp_path, HEADER[:5] + ["答案"],
                             ["单选", "下列说法正确的是（）。", "A、B两项都对", "都不对", None, "B"])
    assert question.options == ("A、B两项都对", "都不对")


def test_header_below_title_rows_and_extra_columns(tmp_path):
    result = read_rows(tmp_path, [
        ["第一党支部 2024 年学习题库"], [None], ["序号", *HEADER, "备注"],
        [1, "判断", "党员可以信仰宗教。", None, None, None, None, "错", None, "无关"],
    ])
    assert result.problems == []
    assert result.bank.questions[0].answer == "错"


def test_a_title_row_that_looks_like_a_header_is_passed_over(tmp_path):
    result = read_rows(tmp_path, [["试题"], ["题号", "题目", "正确选项", "A", "B"], [1, "甲（）", "B", "一", "二"]])
    assert result.problems == []
    assert result.bank.questions[0].answer == "B"


def test_missing_header_or_answer_column_is_reported(tmp_path):
    [problem] = read_rows(tmp_path, [["党史题库"], ["甲", "乙"]]).problems
    assert problem.row is None and "找不到表头" in problem.message and "题干" in problem.message
    [problem] = read_bank(one_sheet(tmp_path, [[None], ["题型", "题干", "解析"], ["判断", "甲", ""]],
                                    "b.xlsx")).problems
    assert (problem.row, problem.message) == (2, "表头缺少「答案」列（也可写作 正确答案、参考答案、标准答案）")
    [problem] = read_bank(one_sheet(tmp_path, [["题干", "答案", "正确答案"], ["甲", "对", "对"]], "c.xlsx")).problems
    assert problem.row == 1 and "「答案」列出现了两次" in problem.message


def test_header_only_and_empty_file(tmp_path):
    [problem] = read_rows(tmp_path, [HEADER]).problems
    assert "只有表头" in problem.message
    empty = tmp_path / "empty.csv"
    empty.write_text("\n,,\n", encoding="utf-8")
    [problem] = read_bank(empty).problems
    assert "文件是空的" in problem.message


def test_empty_rows_and_rows_with_only_a_serial_number_are_skipped(tmp_path):
    result = read_rows(tmp_path, [["序号", *HEADER], [None] * 9, [1, "判断", "甲", None, None, None, None, "对"],
                                  [2], ["", "", "  ", "", "", "", "", "", "\u3000"],
                                  [3, "判断", "乙", None, None, None, None, "错"]])
    assert result.problems == [] and result.entries == 2
    assert [q.text for q in result.bank.questions] == ["甲", "乙"]


def test_a_cell_excel_turned_into_a_date_is_reported(tmp_path):
    import datetime

    result = read_rows(tmp_path, [["题干", "答案"], ["党的生日是（）。", datetime.datetime(2024, 7, 1)]])
    assert problems_of(result) == [
        (2, "「答案」单元格被 Excel 当成了日期/时间（2024-07-01）：请把该单元格设为「文本」格式后重新输入")]


# ---------------------------------------------------------------- types and answers


@pytest.mark.parametrize("word, qtype", [
    ("单选", S), ("单选题", S), ("单项选择", S), ("单项选择题", S), ("single", S), ("Single", S),
    ("多选", M), ("多选题", M), ("多项选择", M), ("多项选择题", M), ("不定项选择", M), ("multiple", M),
    ("判断", J), ("判断题", J), ("judge", J), ("填空", B), ("填空题", B), ("blank", B), (" 单选题 ", S),
    ("【多选题】", M), ("一、判断题", J),
])
def test_type_words(tmp_path, word, qtype):
    options, answer = {S: (["甲", "乙"], "A"), M: (["甲", "乙", "丙"], "AB"), J: ([None, None], "对"),
                       B: ([None, None], "南湖")}[qtype]
    question = only_question(tmp_path, ["题型", "题干", "选项A", "选项B", "选项C", "答案"],
                             [word, "题干（）", *options, *([None] * (3 - len(options))), answer])
    assert question.type is qtype


@pytest.mark.parametrize("options, answer, qtype, expected", [
    (["甲", "乙", "丙"], "B", S, "B"),
    (["甲", "乙", "丙"], "AC", M, "AC"),
    (["甲", "乙", "丙"], "乙", S, "B"),
    (["甲", "乙", "丙"], "甲、丙", M, "AC"),
    (["正确", "错误"], "A", J, "对"),
    (["正确", "错误"], "B", J, "错"),
    (["对", "错"], "错", J, "错"),
    ([], "√", J, "对"),
    ([], "F", J, "错"),
    ([], "正确", J, "对"),
    ([], "南湖", B, "南湖"),
    ([], 1921, B, "1921"),
])
def test_type_is_inferred_when_missing(tmp_path, options, answer, qtype, expected):
    cells = [*options, *([None] * (3 - len(options)))]
    question = only_question(tmp_path, ["题干", "选项A", "选项B", "选项C", "答案"], ["题干（）", *cells, answer])
    assert (question.type, question.answer) == (qtype, expected)


@pytest.mark.parametrize("answer", ["AC", "A,C", "A、C", "A C", "ＡＣ", "ac", "c,a", "A，C",
                                    "A;C", "答案：AC", "甲、丙", "甲|丙"])
def test_multiple_choice_answer_forms(tmp_path, answer):
    question = only_question(tmp_path, HEADER, ["多选", "题干", "甲", "乙", "丙", "丁", answer, None])
    assert question.answer == "AC"


@pytest.mark.parametrize("answer, verdict", [
    ("对", "对"), ("错", "错"), ("正确", "对"), ("错误", "错"), ("√", "对"), ("×", "错"), ("T", "对"), ("f", "错"),
    ("是", "对"), ("否", "错"), (True, "对"), (False, "错"), ("Ｔ", "对"), ("错。", "错"),
])
def test_judge_answer_forms(tmp_path, answer, verdict):
    question = only_question(tmp_path, HEADER, ["判断", "题干", None, None, None, None, answer, None])
    assert (question.type, question.answer) == (J, verdict)


@pytest.mark.parametrize("options, answer, verdict", [
    (["正确", "错误"], "A", "对"), (["正确", "错误"], "b", "错"),
    (["错误", "正确"], "A", "错"), (["√", "×"], "B", "错"),
    (["正确", "错误"], "正确", "对"),
])
def test_judge_with_true_false_options_maps_letters_via_option_text(tmp_path, options, answer, verdict):
    question = only_question(tmp_path, HEADER, ["判断题", "题干", *options, None, None, answer, None])
    assert (question.type, question.answer, question.options) == (J, verdict, ())


@pytest.mark.parametrize("stem, answer, blanks", [
    ("二十二届（）", "二十二|22", (("二十二", "22"),)),
    ("第（）次", "三|", (("三",),)),
    ("第（）次", "|三||", (("三",),)),
    ("既有（）更有（）。", "共同特征、中国特色", (("共同特征",), ("中国特色",))),
    ("既有（ ）更有( )。", "共同特征|共同点；中国特色", (("共同特征", "共同点"), ("中国特色",))),
    ("让“（）”成为常态。", "红红脸、出出汗", (("红红脸、出出汗",),)),
    ("既有____更有＿＿。", "甲；乙", (("甲",), ("乙",))),
    ("受党章和《》保护。", "党员权利保障条例", (("党员权利保障条例",),)),
    ("有（）、（）、（）三个。", "甲、乙", (("甲、乙",),)),  # 3 blanks but 2 answers: one answer, not split
])
def test_blank_answers(tmp_path, stem, answer, blanks):
    question = only_question(tmp_path, ["题型", "题干", "答案"], ["填空", stem, answer])
    assert question.blanks == blanks
    assert question.answer == "、".join(b[0] for b in blanks)


# ---------------------------------------------------------------- problems, each with its row


@pytest.mark.parametrize("row, message", [
    (["单选", None, "甲", "乙", None, None, "A"], "缺少题干"),
    (["单选", "题干", "甲", "乙", None, None, None], "缺少答案"),
    (["问答题", "题干", None, None, None, None, "随意"], "题型「问答题」无法识别，应为单选、多选、判断或填空"
                                                        "（也可写单选题、单项选择题、多选题、多项选择题、不定项选择、判断题、填空题）"),
    (["单选", "题干", "甲", "乙", "丙", "丁", "E"], "答案「E」超出选项范围：本题只有 A–D 共 4 个选项"),
    (["单选", "题干", "甲", "乙", "丙", "丁", "AB"],
     "单选题只能有一个答案，实为「AB」；若有多个正确选项，请把题型改为多选"),
    (["多选", "题干", "甲", "乙", "丙", "丁", "B"], "多选题只有一个正确选项「B」：请核对答案，或把题型改为单选"),
    (["判断", "题干", None, None, None, None, "也许"],
     "判断题答案应为对/错（也可写正确/错误、√/×、T/F、是/否），实为「也许」"),
    (["判断", "题干", None, None, None, None, "A"],
     "判断题答案应为对/错（也可写正确/错误、√/×、T/F、是/否），实为「A」"),
    (["判断", "题干", "也许", "未必", None, None, "A"],
     "判断题的选项应为「正确」「错误」（或「对」「错」），实为「也许」「未必」"),
    (["填空", "题干（）", "甲", "乙", None, None, "南湖"],
     "填空题不应有选项（本题填了 2 个选项）：请删去选项，或把题型改为单选/多选"),
    (["单选", "题干", "甲", None, None, None, "A"], "单选题至少需要两个选项，本题有 1 个"),
    (["单选", "题干", "甲", None, "丙", None, "A"], "选项B 为空：选项应从 A 起连续填写，中间不能留空"),
    (["单选", "题干", "甲", "乙", "丙", None, "戊"], "答案「戊」既不是 A–C 的选项字母，也不是某个选项的内容"),
    (["多选", "题干", "权利", "义务", "权利", None, "权利、义务"],
     "答案中的「权利」与多个相同的选项（A、C）一致，请改写为选项字母"),
    ([None, "题干", "甲", "乙", None, None, "戊"],
     "未填题型，且答案「戊」既不是选项字母也不是选项内容，无法判断题型：请填写题型"),
    (["填空", "题干（）", None, None, None, None, "|"], "填空题没有答案（只有分隔符「|」）"),
    ([None, "题干（）", None, None, None, None, "AB"], "未填题型，答案「AB」像是选项字母，但本题没有选项：请补上选项，"
                                                 "或填写题型（填空题的答案若确实是字母，请把题型写为填空）"),
])
def test_each_problem_is_reported_with_its_row_number(tmp_path, row, message):
    good = ["判断", "好题", None, None, None, None, "对"]
    result = read_rows(tmp_path, [["说明：每行一题"], HEADER[:-1], good, good[:1] + ["另一道好题"] + good[2:], row])
    assert problems_of(result) == [(5, message)]
    assert str(result.problems[0]).endswith(f": 第 5 行: {message}")


def test_extra_fields_are_checked(tmp_path):
    result = read_rows(tmp_path, [["题干", "答案", "分值", "判分", "限时"], ["甲", "对", "两分", "随便", 700]])
    assert problems_of(result) == [(2, "分值「两分」不是数字"),
                                   (2, "判分方式「随便」无法识别，"
                                       "应为 exact（精确）、normal（标准）或 lenient（宽松）"),
                                   (2, "限时「700」应为 5 到 600 之间的整数（秒）")]


def test_every_row_is_checked_and_nothing_loads(tmp_path):
    rows = [HEADER]
    for number in range(200):
        rows.append(["判断", f"第 {number} 题", None, None, None, None, "对", None])
    rows[10] = ["判断", "坏题一", None, None, None, None, "大概", None]
    rows[150] = ["单选", None, "甲", "乙", None, None, "C", None]
    result = read_rows(tmp_path, rows)
    assert result.bank is None
    assert problems_of(result) == [
        (11, "判断题答案应为对/错（也可写正确/错误、√/×、T/F、是/否），实为「大概」"),
        (151, "缺少题干"),
        (151, "答案「C」超出选项范围：本题只有 A–B 共 2 个选项"),
    ]
    with pytest.raises(BankError) as caught:
        load_bank(one_sheet(tmp_path, rows, "again.xlsx"))
    assert [p.row for p in caught.value.problems] == [11, 151, 151]
    assert "第 11 行" in str(caught.value)


def test_sheets_named_after_types_and_problems_naming_the_sheet(tmp_path):
    path = xlsx(tmp_path / "by-type.xlsx",
                ("填写说明", [["本工作簿每个工作表一种题型"]]),
                ("单选题", [["题干", "A", "B", "答案"], ["甲（）", "一", "二", "B"]]),
                ("多选题", [["题干", "A", "B", "C", "答案"], ["乙（）", "一", "二", "三", "AC"]]),
                ("判断题", [["题干", "答案"], ["丙", "√"], ["丁", "√×"]]))
    result = read_bank(path)
    assert problems_of(result) == [(3, "判断题答案应为对/错（也可写正确/错误、√/×、T/F、是/否），实为「√×」")]
    assert result.problems[0].sheet == "判断题"
    assert str(result.problems[0]) == (f"{path}: 工作表「判断题」第 3 行: "
                                       "判断题答案应为对/错（也可写正确/错误、√/×、T/F、是/否），实为「√×」")
    good = xlsx(tmp_path / "good.xlsx", ("单选题", [["题干", "A", "B", "答案"], ["甲（）", "一", "二", "B"]]),
                ("判断题", [["题干", "答案"], ["丙", "√"]]),
                ("填空题", [["题干", "答案"]]))  # an empty type sheet is fine
    assert [q.type for q in load_bank(good).questions] == [S, J]


# ---------------------------------------------------------------- duplicates


def test_exact_duplicates_are_dropped_keeping_the_first_and_counted(tmp_path):
    result = read_rows(tmp_path, [
        HEADER,
        ["单选", "党的根本组织原则是（）。", "甲", "乙", None, None, "A", "第一处"],
        ["单选", "党的根本组织原则是( )", "甲 ", "乙", None, None, "a", "第二处"],  # punctuation, spaces, width
        # options in another order: not a repeat
        ["单选", "党的根本组织原则是（）？", "乙", "甲", None, None, "B", None],
        ["多选", "党的根本组织原则是（）。", "甲", "乙", None, None, "AB", None],  # another type: not a repeat
        ["填空", "第（）次", None, None, None, None, "三|3", None],
        ["填空", "第 （） 次", None, None, None, None, "3", None],  # a shared accepted answer: a repeat
    ])
    assert result.problems == []
    assert result.entries == 6 and result.duplicates_skipped == 2 and len(result.bank.questions) == 4
    assert result.bank.questions[0].explanation == "第一处"
    assert [(d.where.row, d.kept.row) for d in result.duplicates] == [(3, 2), (7, 6)]
    assert "跳过完全重复的题目 2 道" in result.summary()


def test_a_repeat_with_a_different_answer_is_a_problem(tmp_path):
    result = read_rows(tmp_path, [HEADER, ["判断", "预备期为一年。", None, None, None, None, "对"],
                                  ["判断", "预备期为一年", None, None, None, None, "错"]])
    assert problems_of(result) == [
        (3, "与第 2 行是同一道题，但答案不同（第 2 行为「对」，此处为「错」）：请核对后删去错误的一处")]


# ---------------------------------------------------------------- JSON


def test_json_list_of_objects_with_key_text_options():
    result = read_bank(FIXTURES / "list-key-text.json")
    assert result.problems == []
    single, multiple, true, false, three, two_blanks, alternatives = result.bank.questions
    assert (single.options, single.answer, single.topic) == (
        ("1999 年", "2000 年", "2001 年", "2002 年"), "C", "中国共产党党史")
    assert single.points is None  # `points` as a list of words is the public bank's 知识点
    assert (multiple.answer, multiple.explanation) == ("ABC", "《中国共产党支部工作条例（试行）》。")
    assert (true.type, true.answer, true.options, false.answer) == (J, "对", (), "错")
    assert three.blanks == (("三",),)
    assert two_blanks.blanks == (("各国现代化的共同特征",), ("基于自己国情的中国特色",))
    assert alternatives.blanks == (("二十二", "22"),)


def test_json_object_with_name_and_chinese_keys():
    result = read_bank(FIXTURES / "object-chinese.json")
    assert result.problems == []
    bank = result.bank
    assert (bank.name, bank.description) == ("廉洁自律题库", "中文键名的题库")
    mapping, prefixed, judge, blanks, labelled = bank.questions
    assert (mapping.type, mapping.answer, mapping.options[3], mapping.points, mapping.topic) == (
        S, "D", "民主集中制", 2.0, "组织原则")
    assert (prefixed.options, prefixed.answer) == (("政治纪律", "组织纪律", "廉洁纪律", "外交纪律"), "ABC")
    assert (judge.type, judge.answer) == (J, "错")
    assert blanks.blanks == (("改革开放",), ("四项基本原则", "四项原则"))
    assert (labelled.options, labelled.answer) == (("中央政治局", "党的全国代表大会和它所产生的中央委员会"), "B")


def test_json_flat_stem_and_options_to_answer_text():
    bank = load_bank(FIXTURES / "flat.json")
    single, multiple, true, false, blank = bank.questions
    assert (single.type, single.text, single.answer) == (S, "党的最高领导机关是（）", "B")
    assert (multiple.type, multiple.answer) == (M, "ABC")
    assert (true.type, true.answer, false.answer) == (J, "对", "错")
    assert (blank.type, blank.blanks) == (B, (("南湖", "嘉兴南湖"),))


def test_json_key_priority_does_not_depend_on_key_order(tmp_path):
    path = tmp_path / "order.json"
    path.write_text(json.dumps([{"title": "第 1 题", "correct": "B", "question": "题干", "answer": "A",
                                 "options": ["甲", "乙"], "type": "单选"}], ensure_ascii=False), encoding="utf-8")
    [question] = load_bank(path).questions
    assert (question.text, question.answer) == ("题干", "A")


def test_json_options_flagged_correct_give_the_answer(tmp_path):
    path = tmp_path / "flags.json"
    path.write_text(json.dumps([{"question": "题干", "choices": [{"text": "甲", "isCorrect": False},
                                                                {"text": "乙", "isCorrect": True},
                                                                {"text": "丙", "isCorrect": True}]}]), encoding="utf-8")
    [question] = load_bank(path).questions
    assert (question.type, question.options, question.answer) == (M, ("甲", "乙", "丙"), "BC")


def test_json_problems_carry_the_entry_number(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"questions": [
        {"type": "judge", "question": "好", "answer": "对"},
        {"type": "single", "question": "题", "options": ["甲", "乙"], "answer": "C"},
        "不是对象",
        {"type": "问答", "question": "题", "answer": "x"},
        {"type": "blank", "answer": "x"},
        {"type": "single", "question": "题", "options": {"A": "甲", "C": "丙"}, "answer": "A"},
        {"type": "single", "question": "题", "options": [{"key": "A", "text": "甲"}, {"key": "B"}], "answer": "A"},
    ]}, ensure_ascii=False), encoding="utf-8")
    result = read_bank(path)
    assert problems_of(result) == [
        (2, "答案「C」超出选项范围：本题只有 A–B 共 2 个选项"),
        (3, "每道题应是一个对象，包含 type（题型）、question（题干）、options（选项）、answer（答案）"),
        (3, "缺少题干"),
        (3, "缺少答案"),
        (4, "题型「问答」无法识别，应为单选、多选、判断或填空"
            "（也可写单选题、单项选择题、多选题、多项选择题、不定项选择、判断题、填空题）"),
        (5, "缺少题干"),
        (6, "选项字母应从 A 起连续，实为「A、C」"),
        (6, "单选题至少需要两个选项，本题有 0 个"),
        (7, "选项B 为空：选项应从 A 起连续填写，中间不能留空"),
    ]
    assert str(result.problems[0]) == f"{path}: 第 2 题: 答案「C」超出选项范围：本题只有 A–B 共 2 个选项"


@pytest.mark.parametrize("text, message", [
    ('[{"type": "judge",', "JSON 格式错误：第 1 行第 19 列，键名应使用英文双引号（或多了一个逗号）"),
    ('[\n{"type": "judge"\n "question": "x"}]', "JSON 格式错误：第 3 行第 2 列，缺少英文逗号"),
    ('{"type": "judge", "question": "x", "answer": "对"}', "JSON 顶层应为题目列表"),
    ('"题目"', "JSON 顶层应为题目列表"),
    ("[]", "题库中没有题目"),
])
def test_json_file_level_problems(tmp_path, text, message):
    path = tmp_path / "odd.json"
    path.write_text(text, encoding="utf-8")
    [problem] = read_bank(path).problems
    assert problem.question_no is None and message in problem.message


# ---------------------------------------------------------------- YAML and the bank-level API


YAML_BANK = """\
name: 带判分的题库
strictness: lenient
questions:
  - type: blank
    question: 中共一大在浙江嘉兴（）的游船上闭幕。
    answer: 南湖
    points: 2
    difficulty: 易
    topic: [党史, 一大]
  - type: 填空题
    question: 党的宗旨是（）。
    answer: 全心全意为人民服务
    strictness: exact
  - type: 单项选择题
    question: 党的根本组织原则是（）。
    options: [集体领导制, 民主集中制]
    answer: B
  - type: judge
    question: 中共一大在浙江嘉兴 （） 的游船上闭幕？
    answer: 对
  - type: blank
    question: 中共一大在浙江嘉兴（）的游船上闭幕
    answer: [南湖, 嘉兴南湖]
"""


def test_yaml_through_read_bank_with_strictness_and_extra_fields(tmp_path):
    path = tmp_path / "bank.yaml"
    path.write_text(YAML_BANK, encoding="utf-8")
    result = read_bank(path)
    assert result.problems == [] and result.entries == 5 and result.duplicates_skipped == 1
    first, exact, choice, judge = result.bank.questions
    assert (first.strictness, first.points, first.difficulty, first.topic) == ("lenient", 2.0, "易", "党史、一大")
    assert (exact.strictness, choice.strictness, choice.type, judge.type) == ("exact", "lenient", S, J)
    assert [(d.where.question_no, d.kept.question_no) for d in result.duplicates] == [(5, 1)]


@pytest.mark.parametrize("change, number, message", [
    (("strictness: lenient", "strictness: loose"), None, "题库的 strictness：判分方式「loose」无法识别"),
    (("    strictness: exact", "    strictness: 随意"), 2, "判分方式「随意」无法识别"),
    (("    points: 2", "    points: 两分"), 1, "分值「两分」不是数字"),
    (("    points: 2", "    points: -1"), 1, "分值「-1」应为不小于 0 的数字"),
])
def test_yaml_extra_fields_are_checked(tmp_path, change, number, message):
    path = tmp_path / "bank.yaml"
    path.write_text(YAML_BANK.replace(*change), encoding="utf-8")
    [problem] = read_bank(path).problems
    assert problem.question_no == number and message in problem.message


def test_bank_name_argument_then_the_files_own_then_the_stem(tmp_path):
    assert read_bank(FIXTURES / "object-chinese.json").bank.name == "廉洁自律题库"
    assert read_bank(FIXTURES / "object-chinese.json", name="自定义").bank.name == "自定义"
    assert read_bank(FIXTURES / "flat.json").bank.name == "flat"
    assert read_bank(FIXTURES / "questions-gbk.csv", name="  党史  ").bank.name == "党史"


@pytest.mark.parametrize("name, message", [
    ("old.xls", "不支持旧版 Excel（.xls）文件：请在 Excel 中「另存为」.xlsx 后再导入"),
    ("notes.txt", "不支持 .txt 文件：请另存为 CSV（逗号分隔）或 .xlsx 后再导入"),
    ("bank.pdf", "不支持「.pdf」文件：题库应为 .xlsx、.csv、.json 或 .yaml 文件"),
    ("missing.xlsx", "找不到这个文件"),
])
def test_unsupported_or_missing_files_are_one_clear_problem(tmp_path, name, message):
    path = tmp_path / name
    if name != "missing.xlsx":
        path.write_bytes(b"whatever")
    result = read_bank(path)
    assert result.bank is None
    assert [(p.file, p.row, p.question_no, p.message) for p in result.problems] == [(str(path), None, None, message)]


def test_a_renamed_file_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("题干,答案\n", encoding="utf-8")
    [problem] = read_bank(path).problems
    assert "不是有效的 .xlsx 文件" in problem.message


def test_read_bank_unpacks_as_bank_and_problems():
    bank, problems = read_bank(FIXTURES / "flat.json")
    assert problems == [] and len(bank.questions) == 5
    assert len(bank.by_key) == 5


def test_public_api_on_the_quizzes_package(tmp_path):
    assert quizzes.load_bank(FIXTURES / "flat.json").name == "flat"
    assert quizzes.BankError is BankError and quizzes.read_bank is read_bank
    with pytest.raises(quizzes.BankError) as caught:
        quizzes.load_bank(tmp_path / "x.xls")
    assert isinstance(caught.value.problems[0], BankProblem)


def test_importing_quizzes_does_not_import_openpyxl():
    code = "import sys, quizzes, quizzes.bank_io; print('openpyxl' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parents[1])
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- the public 党史 bank


@pytest.mark.skipif(not REAL_BANK.exists(), reason="the public bank is not in ../shared/data/public-banks")
def test_the_public_dangshi_bank_imports_with_nothing_lost():
    result = read_bank(REAL_BANK)  # how long it takes is bench/bank_import.py's figure
    assert result.problems == []
    assert result.entries == 1486
    assert result.duplicates_skipped == 477
    assert len(result.bank.questions) == 1009
    assert result.type_counts == {S: 343, M: 261, J: 214, B: 191}
    assert result.bank.name == "dangshi-1486"
    # every entry is either kept or a repeat of a kept one
    raw = json.loads(REAL_BANK.read_text(encoding="utf-8"))
    kept_numbers = {number for number in range(1, 1487)} - {d.where.question_no for d in result.duplicates}
    assert len(kept_numbers) == 1009
    by_text = {q.text: q for q in result.bank.questions}
    two = by_text["中国式现代化，是中国共产党领导的社会主义现代化，既有（）更有（）。"]
    assert two.blanks == (("各国现代化的共同特征",), ("基于自己国情的中国特色",))
    three = next(q for q in result.bank.questions if q.text.startswith("1923 年 6 月，中国共产党在广州召开了第（）次"))
    assert three.blanks == (("三",),)
    judges = [e for e in raw if e["type"] == "judge"]
    assert all(by_text[e["question"].strip()].answer == {"A": "对", "B": "错"}[e["answer"]]
               for e in judges if e["question"].strip() in by_text)
    assert sum(1 for q in result.bank.questions if q.topic) == sum(
        1 for n, e in enumerate(raw, start=1) if n in kept_numbers and e["points"])

