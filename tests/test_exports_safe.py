"""Exports that could run code (issue 14): a name or a question text that starts like a formula (= + - @ TAB CR and
the full-width ＝＋－＠) is stored as text in every CSV (a leading 「'」, OWASP's advice) and every .xlsx (a string
cell) the command line writes, numbers stay numbers, and a bank exported and imported again has the same text."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.cli.common import CliContext
from bot.clock import ManualClock
from bot.storage.branches import get_or_create_branch
from bot.storage.db import Database
from bot.storage.people import register_member
from bot.storage.points import award_points
from quizzes.bank_export import write_csv, write_xlsx, write_yaml
from quizzes.bank_io import read_bank
from quizzes.model import Bank
from safeio.cells import csv_escape, csv_unescape

runner = CliRunner()
NOW = datetime(2026, 3, 4, 10, 0)
LINK = '=HYPERLINK("http://example.com/x","点我")'
# member name, branch name, points
PEOPLE = [("@SUM(1+1)", LINK, 30), ("+1+2", "-2+3", 20), ("-1-1", "＝1+1", 10)]

FORMULA_BANK = """name: 公式题库
questions:
  - type: single
    question: "=1+1 等于几？"
    options: ["=2", "+2", "-2", "@2"]
    answer: A
  - type: judge
    question: "+党员有退党的自由。"
    answer: 对
  - type: blank
    question: "-发展党员工作的总要求是控制总量、优化结构、（）、发挥作用。"
    answer: "@提高质量"
  - type: single
    question: "'=这一题以撇号开头"
    options: ["＝全角", "'@撇号", "-3", "\\t=制表符"]
    answer: B
"""


@pytest.fixture
def formula_names(cli_config: Path, tmp_path: Path) -> Path:
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    db.create_schema()
    with db.session() as session:
        for number, (name, branch_name, points) in enumerate(PEOPLE, start=1):
            branch = get_or_create_branch(session=session, name=branch_name)
            member = register_member(session=session, channel="local", external_id=f"u{number}", name=name,
                                     branch_id=branch.id, now=NOW)
            award_points(session=session, member_id=member.id, amount=points, reason="contest",
                         source=f"test:{number}", now=NOW)
        session.commit()
    db.dispose()
    return cli_config


def invoke(config: Path, *args: str):
    return runner.invoke(build_cli(), [*args, "--config", str(config)], obj=CliContext(ManualClock(NOW)))


def csv_cells(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def test_rank_csv_writes_a_name_that_starts_like_a_formula_as_text(formula_names: Path, tmp_path: Path) -> None:
    out = tmp_path / "排行.csv"
    result = invoke(formula_names, "rank", "--output", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8-sig")
    assert '"\'=HYPERLINK(""http://example.com/x"",""点我"")"' in text  # the quote, inside the CSV's own quoting
    assert csv_cells(out)[1:] == [["1", "'@SUM(1+1)", "'" + LINK, "30"], ["2", "'+1+2", "'-2+3", "20"],
                                  ["3", "'-1-1", "'＝1+1", "10"]]  # numbers stay numbers


def test_rank_csv_on_the_screen_is_escaped_too(formula_names: Path) -> None:
    result = invoke(formula_names, "rank", "--by", "branch", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert {row[1] for row in rows[1:]} == {"'" + LINK, "'-2+3", "'＝1+1"}
    assert {row[5] for row in rows[1:]} == {"30.00", "20.00", "10.00"}  # 人均积分: numbers, not text


def test_branch_rank_xlsx_stores_a_hyperlink_title_as_a_string_cell(formula_names: Path, tmp_path: Path) -> None:
    out = tmp_path / "支部排行.xlsx"
    result = invoke(formula_names, "rank", "--by", "branch", "--format", "xlsx", "--output", str(out))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out).active
    names = {sheet.cell(row, 2).value: sheet.cell(row, 2).data_type for row in range(2, sheet.max_row + 1)}
    assert names == {LINK: "s", "-2+3": "s", "＝1+1": "s"}  # the text as it was, never a formula
    assert sheet.cell(4, 6).value == 10 and sheet.cell(4, 6).data_type == "n"


def test_meetings_report_csv_escapes_the_branch_name(formula_names: Path, tmp_path: Path) -> None:
    out = tmp_path / "三会一课.csv"
    result = invoke(formula_names, "meetings", "report", "--output", str(out))
    assert result.exit_code == 0, result.output
    rows = csv_cells(out)
    assert rows[0][:3] == ["支部", "会议类型", "期间"]
    assert {row[0] for row in rows[1:]} == {"'" + LINK, "'-2+3", "'＝1+1"}


@pytest.fixture
def formula_bank(tmp_path: Path) -> Bank:
    path = tmp_path / "公式题库.yaml"
    path.write_text(FORMULA_BANK, encoding="utf-8")
    bank = read_bank(path).bank
    assert bank is not None
    return bank


def texts_of(bank: Bank | None) -> list[tuple[str, tuple[str, ...], str]]:
    assert bank is not None
    return [(q.text, q.options, q.answer) for q in bank.questions]


@pytest.mark.parametrize("writer, suffix", [(write_xlsx, "xlsx"), (write_csv, "csv"), (write_yaml, "yaml")])
def test_a_bank_starting_like_formulas_reads_back_the_same(formula_bank: Bank, tmp_path: Path, writer,
                                                           suffix: str) -> None:
    out = tmp_path / f"导出.{suffix}"
    assert not writer(formula_bank, out)
    read = read_bank(out, "公式题库")
    assert read.problems == []
    assert texts_of(read.bank) == texts_of(formula_bank)


def test_bank_export_xlsx_cells_are_strings_and_csv_cells_are_quoted(formula_bank: Bank, tmp_path: Path) -> None:
    write_xlsx(formula_bank, tmp_path / "b.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "b.xlsx").active
    assert (sheet["B2"].value, sheet["B2"].data_type) == ("=1+1 等于几？", "s")
    assert [(c.value, c.data_type) for c in sheet[2][2:6]] == [("=2", "s"), ("+2", "s"), ("-2", "s"), ("@2", "s")]
    write_csv(formula_bank, tmp_path / "b.csv")
    rows = csv_cells(tmp_path / "b.csv")
    assert rows[1][1:6] == ["'=1+1 等于几？", "'=2", "+2", "-2", "'@2"]  # 「+2」「-2」 are numbers: as they are
    assert rows[4][1:6] == ["''=这一题以撇号开头", "'＝全角", "''@撇号", "-3", "'=制表符"]  # tab trimmed on reading


def test_bank_export_then_import_through_the_command_line(formula_bank: Bank, cli_config: Path,
                                                          tmp_path: Path) -> None:
    (tmp_path / "公式题库.yaml").rename(tmp_path / "源.yaml")
    assert invoke(cli_config, "bank", "import", str(tmp_path / "源.yaml")).exit_code == 0
    for suffix in ("xlsx", "csv", "yaml"):
        exported = invoke(cli_config, "bank", "export", "公式题库", "--output", f"出.{suffix}")
        assert exported.exit_code == 0, exported.output
        assert texts_of(read_bank(tmp_path / f"出.{suffix}").bank) == texts_of(formula_bank)


@pytest.mark.parametrize("text", ["=1", "+a", "-a", "@a", "\t=1", "\r=1", "＝1", "＋1", "－1", "＠a"])
def test_each_formula_start_is_escaped(text: str) -> None:
    assert csv_escape(text) == "'" + text


@pytest.mark.parametrize("value", [-3, 2.5, "-3", "+2.5", "-12.5%", "第一支部", "", "a=1", "'普通撇号"])
def test_numbers_and_plain_text_are_left_alone(value: object) -> None:
    assert csv_escape(value) == value


def test_only_the_quote_we_added_comes_off() -> None:
    assert csv_unescape("'=1") == "=1"
    assert csv_unescape("''=1") == "'=1"
    assert csv_unescape("'普通撇号") == "'普通撇号"  # not before a formula start: a writer's own 「'」
    assert csv_unescape("'-3") == "'-3"  # we never quote a number


@given(st.text(alphabet=st.sampled_from("'=+-@\t\r＝＋－＠a1.%, 中")))
def test_escape_then_unescape_is_the_text(text: str) -> None:
    assert csv_unescape(str(csv_escape(text))) == text
