"""`studybot rank`: member and branch rankings as table, JSON, CSV and xlsx."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest
import typer
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.cli.common import CliContext
from bot.clock import ManualClock
from bot.services.roster import import_roster
from bot.services.roster_file import read_roster
from bot.storage.db import Database
from bot.storage.models import Member
from bot.storage.points import award_points

runner = CliRunner()
TODAY = date(2026, 3, 4)  # a Wednesday: week W2026-10, month M2026-03
MARCH = datetime(2026, 3, 4, 10, 0)
FEBRUARY = datetime(2026, 2, 20, 9, 0)
AT_TEN = datetime.combine(TODAY, time(10, 0))  # when the command line runs, unless a test says otherwise


def make_cli() -> typer.Typer:
    """The real `studybot` command line, as main() builds it."""
    return build_cli()


def on(day: datetime) -> CliContext:
    """The command line as run at `day` (Shanghai wall-clock time)."""
    return CliContext(ManualClock(day))


@pytest.fixture
def config(cli_config: Path) -> Path:
    return cli_config


@pytest.fixture
def scored(config: Path, tmp_path: Path) -> Path:
    """第一支部 4 people (3 scored in March, 1 only in February), 第二支部 2 (both scored), 第三支部 1 (none)."""
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,支部\n张三,第一支部\n李四,第一支部\n王五,第一支部\n赵六,第一支部\n"
                      "钱七,第二支部\n孙八,第二支部\n周九,第三支部\n", encoding="utf-8")
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    db.create_schema()
    import_roster(db, rows=read_roster(roster), now=FEBRUARY, label="roster.csv")
    with db.session() as session:
        ids = {m.name: m.id for m in session.exec(select(Member)).all()}
        for name, amount, when in [("张三", 20, MARCH), ("张三", 10, MARCH), ("李四", 30, MARCH), ("王五", 10, MARCH),
                                   ("钱七", 20, MARCH), ("孙八", 5, MARCH), ("赵六", 100, FEBRUARY)]:
            assert award_points(session=session, member_id=ids[name], amount=amount, reason="contest",
                                source=f"test:{name}:{amount}:{when:%m}", now=when)
        session.commit()
    db.dispose()
    return config


def invoke(config: Path, *args: str, at: datetime = AT_TEN):
    return runner.invoke(make_cli(), ["rank", *args, "--config", str(config)], obj=on(at))


def test_member_json_all_time_with_shared_ranks(scored: Path) -> None:
    result = invoke(scored, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["rank"], r["name"], r["branch"], r["points"]) for r in rows] == [
        (1, "赵六", "第一支部", 100), (2, "张三", "第一支部", 30), (2, "李四", "第一支部", 30),
        (4, "钱七", "第二支部", 20), (5, "王五", "第一支部", 10), (6, "孙八", "第二支部", 5)]


def test_member_json_month_and_week_and_limit(scored: Path) -> None:
    month = json.loads(invoke(scored, "--period", "month", "--format", "json").stdout)
    assert [(r["rank"], r["name"], r["points"]) for r in month] == [
        (1, "张三", 30), (1, "李四", 30), (3, "钱七", 20), (4, "王五", 10), (5, "孙八", 5)]
    week = json.loads(invoke(scored, "--period", "本周", "--format", "json", "--limit", "3").stdout)
    assert [r["name"] for r in week] == ["张三", "李四", "钱七"]


def test_branch_json_ranked_by_average(scored: Path) -> None:
    result = invoke(scored, "--by", "branch", "--period", "month", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["rank"], r["name"], r["branch"], r["members"], r["participants"], r["total_points"],
             r["average_points"], r["points"], r["participation_rate"]) for r in rows] == [
        (1, "第一支部", "第一支部", 4, 3, 70, 17.5, 17.5, 0.75),
        (2, "第二支部", "第二支部", 2, 2, 25, 12.5, 12.5, 1.0),
        (3, "第三支部", "第三支部", 1, 0, 0, 0.0, 0.0, 0.0)]
    total = json.loads(invoke(scored, "--by", "branch", "--format", "json").stdout)
    assert (total[0]["name"], total[0]["average_points"], total[0]["participation_rate"]) == ("第一支部", 42.5, 1.0)


def test_branch_average_rounded_to_two_decimals(config: Path, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("姓名,支部\n甲,一支部\n乙,一支部\n丙,一支部\n", encoding="utf-8")
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    db.create_schema()
    import_roster(db, rows=read_roster(roster), now=MARCH, label="roster.csv")
    with db.session() as session:
        member = session.exec(select(Member).where(Member.name == "甲")).one()
        award_points(session=session, member_id=member.id, amount=10, reason="contest", source="x", now=MARCH)
        session.commit()
    db.dispose()
    row = json.loads(invoke(config, "--by", "branch", "--format", "json").stdout)[0]
    assert (row["average_points"], row["participation_rate"]) == (3.33, 0.3333)


def test_csv_to_stdout_and_file(scored: Path, tmp_path: Path) -> None:
    result = invoke(scored, "--format", "csv", "--period", "month")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(result.stdout.lstrip("\ufeff"))))
    assert rows[0] == ["名次", "姓名", "支部", "积分"]
    assert rows[1:3] == [["1", "张三", "第一支部", "30"], ["1", "李四", "第一支部", "30"]]

    out = tmp_path / "branches.csv"
    result = invoke(scored, "--by", "branch", "--period", "month", "--output", str(out))  # format from the suffix
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    assert rows[0] == ["名次", "支部", "人数", "参与人数", "总积分", "人均积分", "参与率"]
    assert rows[1] == ["1", "第一支部", "4", "3", "70", "17.50", "75.0%"]
    assert len(rows) == 4


def test_xlsx_export(scored: Path, tmp_path: Path) -> None:
    out = tmp_path / "排行.xlsx"
    result = invoke(scored, "--format", "xlsx", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout
    sheet = openpyxl.load_workbook(out).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("名次", "姓名", "支部", "积分")
    assert values[1:4] == [(1, "赵六", "第一支部", 100), (2, "张三", "第一支部", 30), (2, "李四", "第一支部", 30)]

    out = tmp_path / "支部.xlsx"
    assert invoke(scored, "--by", "branch", "--period", "month", "--output", str(out)).exit_code == 0
    sheet = openpyxl.load_workbook(out).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[2] == (2, "第二支部", 2, 2, 25, 12.5, 1.0)
    assert sheet.cell(row=2, column=7).number_format == "0.0%"


def test_table_output(scored: Path) -> None:
    result = invoke(scored, "--period", "month")
    assert result.exit_code == 0, result.output
    for text in ("党建积分个人排行", "2026 年 3 月", "名次", "姓名", "积分", "张三", "李四", "孙八"):
        assert text in result.stdout
    branches = invoke(scored, "--by", "branch")
    for text in ("人均积分", "参与率", "42.50", "100.0%", "第三支部"):
        assert text in branches.stdout


def test_empty_ranking(config: Path) -> None:
    table = invoke(config)
    assert table.exit_code == 0 and "暂无积分记录" in table.stdout
    assert json.loads(invoke(config, "--format", "json").stdout) == []
    assert json.loads(invoke(config, "--by", "branch", "--format", "json").stdout) == []
    assert "暂无支部数据" in invoke(config, "--by", "branch").stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "xlsx"], "xlsx 格式需要用 --output 指定文件"),
    (["--by", "group"], "--by 应为 member（个人）或 branch（支部）"),
    (["--period", "decade"], "--period 应为 week"),
    (["--format", "pdf"], "--format 应为 table、json、csv、xlsx 之一"),
    (["--limit", "-1"], "--limit 不能是负数"),
])
def test_bad_options(config: Path, args: list[str], message: str) -> None:
    result = invoke(config, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_unwritable_output(scored: Path, tmp_path: Path) -> None:
    result = invoke(scored, "--format", "json", "--output", str(tmp_path / "missing" / "r.json"))
    assert result.exit_code == 1
    assert "无法写入" in result.stderr


# ----- --date: the period containing another day -----

def test_date_ranks_the_period_containing_that_day(scored: Path) -> None:
    february = invoke(scored, "--period", "month", "--date", "2026-02-15", "--format", "json")
    assert february.exit_code == 0, february.output
    assert [(r["rank"], r["name"], r["points"]) for r in json.loads(february.stdout)] == [(1, "赵六", 100)]
    week = json.loads(invoke(scored, "--period", "week", "--date", "2026-02-20", "--format", "json").stdout)
    assert [r["name"] for r in week] == ["赵六"]  # W2026-08
    assert json.loads(invoke(scored, "-p", "week", "-d", "2026-03-01", "--format", "json").stdout) == []  # W2026-09
    # a day of the current period is the current period; all time ignores the day
    assert invoke(scored, "-p", "month", "-d", "2026-03-31").stdout == invoke(scored, "-p", "month").stdout
    assert invoke(scored, "-d", "2025-01-01", "-f", "json").stdout == invoke(scored, "-f", "json").stdout

    branches = json.loads(invoke(scored, "--by", "branch", "-p", "month", "--date", "2026/2/1", "-f", "json").stdout)
    assert [(b["name"], b["total_points"], b["participants"]) for b in branches][0] == ("第一支部", 100, 1)


def test_date_titles_name_the_period_not_this_month(scored: Path) -> None:
    table = invoke(scored, "--period", "month", "--date", "2026-02-15")
    assert table.exit_code == 0, table.output
    assert table.stdout.startswith("党建积分个人排行（2026 年 2 月）\n")
    assert "赵六" in table.stdout and "张三" not in table.stdout
    assert invoke(scored, "--period", "month").stdout.startswith("党建积分个人排行（本月：2026 年 3 月）\n")
    quarter = invoke(scored, "--by", "branch", "--period", "quarter", "--date", "2025-11-30")
    assert quarter.stdout.startswith("党建积分支部排行（2025 年第 4 季度，按人均积分）\n")


@pytest.mark.parametrize(("value", "message"), [
    ("yesterday", "--date 应为 YYYY-MM-DD 格式的日期，例如 2026-02-15，实为「yesterday」"),
    ("2026-02", "--date 应为 YYYY-MM-DD 格式的日期"),
    ("20260215", "--date 应为 YYYY-MM-DD 格式的日期"),
    ("", "--date 应为 YYYY-MM-DD 格式的日期"),
    ("2026-02-30", "--date「2026-02-30」不是有效的日期（2026 年 2 月没有 30 日）"),
    ("2026-13-01", "--date「2026-13-01」不是有效的日期（月份应为 1–12）"),
])
def test_bad_dates(config: Path, value: str, message: str) -> None:
    result = invoke(config, "--period", "month", "--date", value)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_date_is_documented_in_help_and_defaults_to_today_in_shanghai(scored: Path) -> None:
    result = runner.invoke(make_cli(), ["rank", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "--date" in result.stdout and "YYYY-MM-DD" in result.stdout
    assert "默认今天（北京时间）" in result.stdout
    assert "studybot rank --period month --date 2026-02-01" in result.stdout
    # 00:30 on 1 March in Shanghai (still 28 February in UTC): this month is March
    title = invoke(scored, "--period", "month", at=datetime(2026, 3, 1, 0, 30)).stdout.splitlines()[0]
    assert title == "党建积分个人排行（本月：2026 年 3 月）"


def test_a_ranking_of_one_category(scored: Path, tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    with db.session() as session:
        ids = {m.name: m.id for m in session.exec(select(Member)).all()}
        assert award_points(session=session, member_id=ids["孙八"], amount=5, reason="meeting", source="m:1",
                            now=MARCH)
        session.commit()
    db.dispose()
    meetings = json.loads(invoke(scored, "--period", "month", "--category", "组织生活", "--format", "json").stdout)
    assert [(r["rank"], r["name"], r["points"]) for r in meetings] == [(1, "孙八", 5)]
    answers = invoke(scored, "--period", "month", "--category", "答题")
    assert answers.exit_code == 0 and "党建积分个人排行（本月：2026 年 3 月，答题）" in answers.stdout
    assert "孙八" in answers.stdout and "张三" in answers.stdout
    refused = invoke(scored, "--category", "扣分")
    assert refused.exit_code == 2
    assert "--category 应为 学习、答题、组织生活、志愿服务 或 先锋作用，实为「扣分」" in refused.output
