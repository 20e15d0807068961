"""The spreadsheets the command line writes (`studybot rank --format xlsx`, `studybot meetings report`): a name
with control characters in it (a member registered from a platform nickname, a group named by a script) is written
without them, a name that starts with 「=」 stays text, and a file that cannot be written is said in one line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.cli.common import CliContext
from bot.clock import ManualClock
from bot.storage.branches import get_or_create_branch
from bot.storage.db import Database
from bot.storage.people import register_member
from bot.storage.points import award_points

runner = CliRunner()
NOW = datetime(2026, 3, 4, 10, 0)
BRANCH = "第一\x07党支部\x1b"


@pytest.fixture
def odd_names(cli_config: Path, tmp_path: Path) -> Path:
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    db.create_schema()
    with db.session() as session:
        branch = get_or_create_branch(session=session, name=BRANCH)
        for number, name in enumerate(["张\x01三", "=1+2", "李四\x00\x0b"], start=1):
            member = register_member(session=session, channel="local", external_id=f"u{number}", name=name,
                                     branch_id=branch.id, now=NOW)
            award_points(session=session, member_id=member.id, amount=10 * number, reason="contest",
                         source=f"test:{number}", now=NOW)
        session.commit()
    db.dispose()
    return cli_config


def invoke(config: Path, *args: str):
    return runner.invoke(build_cli(), [*args, "--config", str(config)], obj=CliContext(ManualClock(NOW)))


def cells(path: Path) -> list[list[object]]:
    sheet = openpyxl.load_workbook(path).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_rank_xlsx_writes_names_without_control_characters(odd_names: Path, tmp_path: Path) -> None:
    out = tmp_path / "排行.xlsx"
    result = invoke(odd_names, "rank", "--format", "xlsx", "--output", str(out))
    assert result.exit_code == 0, result.output
    rows = cells(out)
    assert [row[1:4] for row in rows[1:]] == [["李四", "第一党支部", 30], ["=1+2", "第一党支部", 20],
                                              ["张三", "第一党支部", 10]]
    sheet = openpyxl.load_workbook(out).active
    assert sheet["B3"].data_type == "s"  # 「=1+2」 is a name, not a formula a spreadsheet would run


def test_branch_rank_xlsx_writes_the_branch_name_without_control_characters(odd_names: Path, tmp_path: Path) -> None:
    out = tmp_path / "支部.xlsx"
    result = invoke(odd_names, "rank", "--by", "branch", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert cells(out)[1][1] == "第一党支部"


def test_meetings_report_xlsx_writes_the_branch_name_without_control_characters(odd_names: Path,
                                                                                tmp_path: Path) -> None:
    out = tmp_path / "三会一课.xlsx"
    result = invoke(odd_names, "meetings", "report", "--format", "xlsx", "--output", str(out))
    assert result.exit_code == 0, result.output
    rows = cells(out)
    assert rows[0][:3] == ["支部", "会议类型", "期间"]
    assert {row[0] for row in rows[1:]} == {"第一党支部"}


@pytest.mark.parametrize("args", [["rank", "--format", "xlsx"], ["meetings", "report", "--format", "xlsx"],
                                  ["meetings", "report", "--format", "json"]])
def test_a_report_that_cannot_be_written_is_said_in_one_line(odd_names: Path, tmp_path: Path, args) -> None:
    out = tmp_path / "没有这个目录" / f"报告.{args[-1]}"
    result = invoke(odd_names, *args, "--output", str(out))
    assert result.exit_code == 1 and result.output.startswith(f"无法写入 {out}："), result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_streamed_download_keeps_each_value_as_its_kind_of_cell() -> None:
    """The dashboard's .xlsx (sheets.lean_book_bytes): numbers as numbers with their format, dates as dates, text
    as text even when it starts like a formula or holds a control character, empty cells empty, and a table title
    Excel would refuse as a sheet name made into one it accepts."""
    from datetime import date
    from decimal import Decimal
    from io import BytesIO

    from bot.services.sheets import lean_book_bytes

    body = lean_book_bytes("第一支部/成员:2026?", ["姓名", "积分", "参与率", "日期", "时间", "在册"], [
        ["=HYPERLINK(\"x\")", 12, 0.25, date(2026, 12, 1), datetime(2026, 12, 1, 9, 30), True],
        ["王\x07五", Decimal("2.5"), None, "", "—", False],
    ], widths=[20, 8], number_formats=[None, None, "0.0%"])
    sheet = openpyxl.load_workbook(BytesIO(body)).active
    assert sheet.title == "第一支部_成员_2026_"
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows == [["姓名", "积分", "参与率", "日期", "时间", "在册"],
                    ["=HYPERLINK(\"x\")", 12, 0.25, datetime(2026, 12, 1), datetime(2026, 12, 1, 9, 30), True],
                    ["王五", 2.5, None, None, "—", False]]
    assert sheet["A2"].data_type == "s" and sheet["C2"].number_format == "0.0%"
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
