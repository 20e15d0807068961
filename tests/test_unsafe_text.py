"""Text that breaks storage or Excel, and files in the wrong encoding (issue 11, item 7, the file half): NUL bytes
and other control characters in bank questions and roster names are refused with their row; a config saved in
GBK stops every command with one Chinese line (exit 2); bank YAML in GBK is read like a GBK CSV, and a UTF-8 file
with one damaged byte is refused at that line rather than misread; exporting a question with a control character
to .xlsx does not crash."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.services.roster_file import RosterError, read_roster
from bot.settings import ConfigError, load_settings
from quizzes.bank_export import write_xlsx
from quizzes.bank_io import read_bank
from quizzes.model import Bank, Question, QuestionType
from safeio.text import excel_safe

runner = CliRunner()
HEADER = "题型,题干,选项A,选项B,答案"


def invoke(config: Path, *args: str):
    return runner.invoke(build_cli(), [*args, "--config", str(config)])


# ---------------------------------------------------------------- banks


@pytest.mark.parametrize(("character", "shown"), [("\x00", "U+0000"), ("\x01", "U+0001"), ("\x1b", "U+001B"),
                                                  ("\ufffe", "U+FFFE")])
def test_a_control_character_in_a_csv_question_is_refused_with_its_row(tmp_path: Path, character: str,
                                                                        shown: str) -> None:
    path = tmp_path / "bank.csv"
    path.write_text(f"{HEADER}\n判断,党员有退党的自由。,,,对\n判断,预备期为一年{character}。,,,对\n", encoding="utf-8")
    result = read_bank(path)
    assert result.bank is None
    assert [(p.row, p.message) for p in result.problems] == [
        (3, f"「题干」中有不可见的控制字符（{shown}），Excel 和数据库都存不了它：请删去后再导入")]


def test_tabs_and_line_breaks_in_a_question_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "bank.csv"
    path.write_text(f'{HEADER}\n判断,"第一行\r\n第二行\t缩进",,,对\n', encoding="utf-8")
    assert read_bank(path).problems == []


def test_excel_escapes_in_a_workbook_stay_text(tmp_path: Path) -> None:
    """Excel stores a control character in a cell as _x0007_; openpyxl reads that back as those seven characters,
    so a workbook cannot bring one in (nor can its XML, which has no way to hold one)."""
    book = openpyxl.Workbook()
    book.active.append(HEADER.split(","))
    book.active.append(["单选", "哪一个（）", "甲", "乙_x0007_", "A"])
    book.save(tmp_path / "bank.xlsx")
    assert read_bank(tmp_path / "bank.xlsx").bank.questions[0].options == ("甲", "乙_x0007_")


def test_nul_and_lone_surrogates_in_a_json_bank_are_refused_with_the_question_number(tmp_path: Path) -> None:
    path = tmp_path / "bank.json"
    path.write_text('[{"type": "judge", "question": "好题。", "answer": "对"},'
                    '{"type": "judge", "question": "坏\\u0000题。", "answer": "对"},'
                    '{"type": "blank", "question": "（）", "answer": "\\ud800"}]', encoding="utf-8")
    result = read_bank(path)
    assert result.bank is None
    assert [(p.question_no, p.message.split("（")[0]) for p in result.problems] == [
        (2, "「题干」中有不可见的控制字符"), (3, "「答案」中有不可见的控制字符")]
    assert "U+D800" in result.problems[1].message


def test_a_yaml_escape_for_nul_is_refused_with_the_question_number(tmp_path: Path) -> None:
    path = tmp_path / "bank.yaml"
    path.write_text('name: 题库\nquestions:\n  - {type: judge, question: 好题, answer: 对}\n'
                    '  - {type: single, question: 选, options: ["甲\\0", 乙], answer: A}\n', encoding="utf-8")
    result = read_bank(path)
    assert result.bank is None
    [problem] = result.problems
    assert (problem.question_no, problem.message) == (
        2, "「options」中有不可见的控制字符（U+0000），Excel 和数据库都存不了它：请删去后再导入")


def test_a_raw_control_character_in_yaml_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bank.yaml"
    path.write_text("name: 题库\nquestions:\n  - {type: judge, question: 坏\x01题, answer: 对}\n", encoding="utf-8")
    result = read_bank(path)
    [problem] = result.problems
    assert result.bank is None
    assert "第 3 行" in problem.message and "U+0001" in problem.message and "unacceptable" not in problem.message


def test_nothing_is_stored_when_a_question_has_a_nul(cli_config: Path, tmp_path: Path) -> None:
    path = tmp_path / "bank.csv"
    path.write_text(f"{HEADER}\n判断,好题。,,,对\n判断,坏\x00题。,,,对\n", encoding="utf-8")
    result = invoke(cli_config, "bank", "import", str(path))
    assert result.exit_code == 1
    assert "第 3 行" in result.output and "U+0000" in result.output
    listed = invoke(cli_config, "bank", "list", "--format", "json")
    assert "bank" not in [entry["name"] for entry in json.loads(listed.stdout)]


# ---------------------------------------------------------------- rosters


def test_a_nul_in_a_roster_name_is_refused_with_its_excel_row(cli_config: Path, tmp_path: Path) -> None:
    path = tmp_path / "名册.csv"
    path.write_text("第一党支部名册\n姓名,支部\n张三,第一支部\n李\x00四,第一支部\n", encoding="utf-8")
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    assert caught.value.problems == [
        "名册.csv 第 4 行：姓名中有不可见的控制字符（U+0000），Excel 和数据库都存不了它：请删去后再导入"]
    result = invoke(cli_config, "members", "import", str(path))
    assert result.exit_code == 1 and "第 4 行" in result.output
    assert "张三" not in invoke(cli_config, "members", "list").output


def test_a_control_character_in_a_roster_branch_or_account_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "名册.csv"
    path.write_text("姓名,支部,企业微信账号\n张三,第一支部,zs\n李四,第二\x0b支部,ls\n王五,第二支部,ww\x1f\n",
                    encoding="utf-8")
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    assert caught.value.problems == [
        "名册.csv 第 3 行：支部中有不可见的控制字符（U+000B），Excel 和数据库都存不了它：请删去后再导入",
        "名册.csv 第 4 行：企业微信账号中有不可见的控制字符（U+001F），Excel 和数据库都存不了它：请删去后再导入"]


def test_a_long_unknown_role_is_not_echoed_whole(tmp_path: Path) -> None:
    path = tmp_path / "名册.csv"
    path.write_text(f"姓名,支部,角色\n张三,第一支部,{'书' * 50_000}\n", encoding="utf-8")
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    [problem] = caught.value.problems
    assert problem.startswith("名册.csv 第 2 行：不认识的角色「书书") and len(problem) < 200


# ---------------------------------------------------------------- encodings


GBK_CONFIG = "bot:\n  name: 党建小助手\n"


def test_a_gbk_config_is_one_chinese_line(tmp_path: Path) -> None:
    path = tmp_path / "studybot.yaml"
    path.write_bytes(("# 配置\n" + GBK_CONFIG).encode("gbk"))
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == (f"配置文件 {path} 不是 UTF-8 编码（第 1 行起无法按 UTF-8 读取，可能是用 GBK/ANSI "
                                 "保存的）：请在编辑器中「另存为」UTF-8 编码后再试")


@pytest.mark.parametrize("command", [["doctor"], ["bank", "list"], ["members", "list"], ["run"], ["chat"],
                                     ["reload"], ["rank"]])
def test_every_command_stops_on_a_gbk_config_with_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         no_config_env, command: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "studybot.yaml"
    path.write_bytes(GBK_CONFIG.encode("gbk"))
    result = runner.invoke(build_cli(), [*command, "--config", str(path)])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.strip().splitlines() == [
        f"配置文件 {path} 不是 UTF-8 编码（第 2 行起无法按 UTF-8 读取，可能是用 GBK/ANSI 保存的）："
        "请在编辑器中「另存为」UTF-8 编码后再试"]


def test_a_config_that_is_a_directory_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=f"配置文件 {tmp_path} 无法读取"):
        load_settings(tmp_path)


def test_a_gbk_bank_yaml_is_read_like_a_gbk_csv(tmp_path: Path) -> None:
    path = tmp_path / "bank.yaml"
    path.write_bytes("name: 党章\nquestions:\n  - {type: judge, question: 党员有退党的自由。, answer: 对}\n"
                     .encode("gbk"))
    result = read_bank(path)
    assert result.problems == []
    assert (result.bank.name, result.bank.questions[0].text) == ("党章", "党员有退党的自由。")


def test_a_utf8_bank_with_one_damaged_byte_is_refused_at_its_line_not_misread_as_gbk(tmp_path: Path) -> None:
    text = "name: 党章知识\nquestions:\n  - {type: judge, question: 党员有退党的自由。, answer: 对}\n"
    path = tmp_path / "bank.yaml"
    path.write_bytes(text.encode("utf-8").replace("自由".encode(), b"\xff\xfe"))
    result = read_bank(path)
    assert result.bank is None
    assert [p.message for p in result.problems] == [
        "第 3 行：有无法识别的字节（文件其余部分是 UTF-8 编码，这里可能已损坏）：请检查这一行，另存为 UTF-8 后再试"]


def test_the_same_rule_for_csv_banks_and_rosters(tmp_path: Path) -> None:
    damaged = "姓名,支部\n张三,第一党支部\n李四,第二党支部\n".encode().replace("二".encode(), b"\xff\xfe\xfd")
    (tmp_path / "名册.csv").write_bytes(damaged)
    with pytest.raises(RosterError, match="名册.csv 第 3 行：有无法识别的字节"):
        read_roster(tmp_path / "名册.csv")
    (tmp_path / "gbk.csv").write_bytes("姓名,支部\n张三,第一党支部\n".encode("gbk"))
    assert [row.name for row in read_roster(tmp_path / "gbk.csv")] == ["张三"]


# ---------------------------------------------------------------- exporting


def test_exporting_a_question_with_control_characters_to_xlsx_does_not_crash(tmp_path: Path) -> None:
    bank = Bank("旧题库", (Question(QuestionType.JUDGE, "从前\x00导入\x1b的题。", "对", explanation="解析\x07"),
                          Question(QuestionType.SINGLE, "好题", "A", ("甲\x0b", "乙"))), "", None, "memory")
    path = tmp_path / "out.xlsx"
    warnings = write_xlsx(bank, path)
    assert warnings == ["第 2 行：有不可见的控制字符，表格中已删去", "第 3 行：有不可见的控制字符，表格中已删去"]
    sheet = openpyxl.load_workbook(path).active
    assert [sheet["B2"].value, sheet["F2"].value, sheet["C3"].value] == ["从前导入的题。", "解析", "甲"]
    assert read_bank(path).problems == []


def test_excel_safe_drops_only_what_excel_cannot_hold() -> None:
    cleaned = excel_safe("a\tb\nc\r\x00d\x1f\ud800e\ufffe")
    assert ascii(cleaned) == ascii("a\tb\nc\rde")  # ascii(): a lone surrogate in a report would break it
    assert excel_safe(5) == 5 and excel_safe(None) is None


@pytest.mark.parametrize(("suffix", "text", "message"), [
    (".json", '{"name": "题\\u0000库", "questions": [{"type": "judge", "question": "好题。", "answer": "对"}]}',
     "「题库名」中有不可见的控制字符（U+0000），Excel 和数据库都存不了它：请删去后再导入"),
    (".yaml", 'name: 题库\ndescription: "说\\x1b明"\nquestions:\n  - {type: judge, question: 好题, answer: 对}\n',
     "题库的「description」中有不可见的控制字符（U+001B），Excel 和数据库都存不了它：请删去后再导入"),
])
def test_the_bank_name_and_description_are_checked_too(tmp_path: Path, suffix: str, text: str, message: str) -> None:
    path = tmp_path / f"bank{suffix}"
    path.write_text(text, encoding="utf-8")
    result = read_bank(path)
    assert result.bank is None
    assert [p.message for p in result.problems] == [message]
