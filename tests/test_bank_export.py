"""Exporting a bank to YAML and .xlsx, and reading each export back as the same questions."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from quizzes.bank_export import write_xlsx, write_yaml
from quizzes.bank_io import read_bank
from quizzes.bank_yaml import BUNDLED_BANK_DIR
from quizzes.model import Bank, Question, QuestionType

REAL_BANK = Path(__file__).resolve().parents[2] / "shared" / "data" / "public-banks" / "dangshi-1486.json"
S, M, J, B = QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.JUDGE, QuestionType.BLANK

QUESTIONS = (
    Question(S, "党的根本组织原则是（）。", "D", ("集体领导制", "个人分工负责制", "少数服从多数", "民主集中制"),
             explanation="党章总纲。", points=2.0, difficulty="易", topic="组织原则", source="《中国共产党章程》总纲"),
    Question(M, "八个选项的题（）。", "ACH", tuple("甲乙丙丁戊己庚辛"), points=2.5, time_limit=45),
    Question(J, "预备党员的预备期为两年。", "错", explanation="预备期为一年。", strictness="exact",
             source="《中国共产党章程》第七条"),
    Question(J, "yes", "对", difficulty="3"),
    Question.blank("中共一大在浙江嘉兴（）的游船上闭幕。", [["南湖", "嘉兴南湖"]], strictness="lenient",
                   topic="党史、一大"),
    Question.blank("中国式现代化既有（）更有（）。", [["各国现代化的共同特征", "共同特征"], ["中国特色"]]),
    Question.blank("让“（）”成为常态。", [["红红脸、出出汗"]], points=0.0),
    Question.blank("=1+1 等于（）", [["22"]], explanation="=SUM(A1)"),
    Question(S, "答案是 on 还是 no（）", "B", ("on", "no")),
)
BANK = Bank("导出测试", QUESTIONS, "含所有字段的题库", 20, "memory")


def same_questions(path: Path, expected: Bank) -> Bank:
    result = read_bank(path)
    assert result.problems == [], [str(p) for p in result.problems]
    assert result.duplicates_skipped == 0
    for want, got in zip(expected.questions, result.bank.questions, strict=True):
        assert got == want
    return result.bank


def test_yaml_round_trip_keeps_every_field(tmp_path):
    path = tmp_path / "bank.yaml"
    write_yaml(BANK, path)
    bank = same_questions(path, BANK)
    assert (bank.name, bank.description, bank.time_limit) == ("导出测试", "含所有字段的题库", 20)


def test_yaml_export_uses_the_bank_strictness_when_all_questions_share_one(tmp_path):
    shared = Bank("统一判分", tuple(Question.blank(f"第（）题{n}", [[str(n)]], strictness="normal") for n in range(3)))
    path = tmp_path / "shared.yaml"
    write_yaml(shared, path)
    text = path.read_text(encoding="utf-8")
    assert "\nstrictness: normal\n" in text and text.count("strictness") == 1
    same_questions(path, shared)


def test_xlsx_round_trip_keeps_every_field(tmp_path):
    path = tmp_path / "bank.xlsx"
    assert write_xlsx(BANK, path) == []
    same_questions(path, BANK)
    sheet = openpyxl.load_workbook(path).active
    header = [cell.value for cell in sheet[1]]
    assert header == ["题型", "题干", *(f"选项{letter}" for letter in "ABCDEFGH"), "答案", "解析", "出处", "分值",
                      "难度", "知识点", "判分", "限时（秒）"]
    assert [cell.value for cell in sheet[2]][:2] == ["单选", "党的根本组织原则是（）。"]
    assert sheet["B9"].value == "=1+1 等于（）" and sheet["B9"].data_type == "s"  # text, not a formula
    assert sheet["K7"].value == "各国现代化的共同特征|共同特征；中国特色"


def test_xlsx_header_without_optional_columns(tmp_path):
    bank = Bank("简单", (QUESTIONS[0], Question(J, "判断", "对")))
    path = tmp_path / "plain.xlsx"
    write_xlsx(bank, path)
    header = [cell.value for cell in openpyxl.load_workbook(path).active[1]]
    assert header == ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "出处", "分值", "难度",
                      "知识点"]
    same_questions(path, bank)


def test_xlsx_warns_about_a_blank_that_a_sheet_cannot_carry(tmp_path):
    bank = Bank("警告", (Question.blank("只有一个括号（）", [["甲"], ["乙"]]),
                       Question.blank("好题（）", [["甲"]])))
    warnings = write_xlsx(bank, tmp_path / "w.xlsx")
    assert warnings == ["第 2 行：填空题有 2 个空，题干中的括号/下划线有 1 处，读回时答案会被拆分得不同；"
                        "请让题干的空数与答案一致，或改用 YAML 导出"]


@pytest.mark.parametrize("writer", [write_yaml, write_xlsx], ids=["yaml", "xlsx"])
def test_bundled_sample_bank_round_trips(tmp_path, writer):
    bank = read_bank(BUNDLED_BANK_DIR / "sample.yaml").bank
    path = tmp_path / ("sample.yaml" if writer is write_yaml else "sample.xlsx")
    writer(bank, path)
    same_questions(path, bank)


@pytest.mark.skipif(not REAL_BANK.exists(), reason="the public bank is not in ../shared/data/public-banks")
@pytest.mark.parametrize("writer", [write_yaml, write_xlsx], ids=["yaml", "xlsx"])
def test_the_public_bank_round_trips(tmp_path, writer):
    bank = read_bank(REAL_BANK).bank
    path = tmp_path / ("dangshi.yaml" if writer is write_yaml else "dangshi.xlsx")
    assert not writer(bank, path)
    same_questions(path, bank)
