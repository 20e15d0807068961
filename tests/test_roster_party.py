"""`studybot members import` reads the Party columns (issue 15): 党员类别, 支部职务 and 党小组, under the headers real
rosters use; 书记 and 委员 follow from the 支部职务, 管理员 only from 角色; unknown values are refused by row."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.storage.db import Database
from bot.storage.models import Member

runner = CliRunner()


def invoke(config: Path, *args: str):
    return runner.invoke(build_cli(), [*args, "--config", str(config)])


def members(config: Path) -> list[tuple[str, str, str, str, str]]:
    """(name, role, category, position, party_group) for every member, in id order."""
    db = Database(f"sqlite:///{config.parent / 't.db'}")
    try:
        with db.session() as session:
            return [(m.name, m.role, m.category, m.position, m.party_group)
                    for m in session.exec(select(Member).order_by(Member.id))]
    finally:
        db.dispose()


def write_csv(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


PARTY_ROSTER = ["序号,姓名,支部,党员类别,支部职务,党小组",
                "1,张三,第一党支部,正式党员,书记,第一党小组",
                "2,钱委员,第一党支部,正式党员,组织委员,第一党小组",
                "3,孙副,第一党支部,正式,副书记,第二党小组",
                "4,李四,第一党支部,正式党员,,第一党小组",
                "5,王五,第一党支部,预备党员,党小组长,第二党小组",
                "6,赵六,第一党支部,入党积极分子,,第二党小组",
                "7,周七,第一党支部,群众,无,"]
PARTY_STORED = [("张三", "secretary", "full", "书记", "第一党小组"),
                ("钱委员", "committee", "full", "组织委员", "第一党小组"),
                ("孙副", "committee", "full", "副书记", "第二党小组"),
                ("李四", "member", "full", "", "第一党小组"),
                ("王五", "member", "probationary", "党小组长", "第二党小组"),
                ("赵六", "member", "activist", "", "第二党小组"),
                ("周七", "member", "masses", "无", "")]


def test_a_csv_with_the_party_columns_imports_them_and_derives_the_roles(cli_config: Path, tmp_path: Path) -> None:
    result = invoke(cli_config, "members", "import", str(write_csv(tmp_path / "名册.csv", PARTY_ROSTER)))
    assert result.exit_code == 0, result.output
    assert result.stdout == "导入完成：新增 7 名，更新 0 名，未变化 0 名；现有支部 1 个（本次新建 1 个）。\n"  # no 提示
    assert members(cli_config) == PARTY_STORED
    listed = json.loads(invoke(cli_config, "members", "list", "--format", "json").stdout)
    assert [(m["name"], m["role_label"], m["category"], m["position"], m["party_group"]) for m in listed][:2] == [
        ("张三", "书记", "正式党员", "书记", "第一党小组"), ("钱委员", "委员", "正式党员", "组织委员", "第一党小组")]
    table = runner.invoke(build_cli(), ["members", "list", "--config", str(cli_config)], env={"COLUMNS": "200"}).stdout
    assert all(word in table for word in ("党员类别", "支部职务", "党小组", "预备党员", "第二党小组"))
    # the same file again: nothing changed
    again = invoke(cli_config, "members", "import", str(write_csv(tmp_path / "名册.csv", PARTY_ROSTER)))
    assert again.stdout.startswith("导入完成：新增 0 名，更新 0 名，未变化 7 名")


def test_an_xlsx_with_other_headers_for_the_party_columns(cli_config: Path, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["第一党支部党员名册"])
    sheet.append(["姓名", "所在支部", "人员类别", "党内职务", "所在党小组", "企业微信账号"])
    sheet.append(["张三", "第一党支部", "正式党员", "支部书记", "第一党小组", "zs"])
    sheet.append(["王五", "第一党支部", "中共预备党员", "宣传委员", "第二党小组", "ww"])
    path = tmp_path / "名册.xlsx"
    workbook.save(path)
    result = invoke(cli_config, "members", "import", str(path))
    assert result.exit_code == 0, result.output
    assert members(cli_config) == [("张三", "secretary", "full", "支部书记", "第一党小组"),
                                   ("王五", "committee", "probationary", "宣传委员", "第二党小组")]


def test_unknown_categories_and_positions_are_refused_by_row_and_nothing_is_imported(cli_config: Path,
                                                                                     tmp_path: Path) -> None:
    roster = write_csv(tmp_path / "名册.csv", ["姓名,支部,党员类别,支部职务",
                                               "张三,第一党支部,正式党员,书记",
                                               "李四,第一党支部,党外人士,",
                                               "王五,第一党支部,预备党员,主任"])
    result = invoke(cli_config, "members", "import", str(roster))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "名册.csv 有 2 处问题，未导入任何成员：",
        "名册.csv 第 3 行：不认识的党员类别「党外人士」，应为 正式党员、预备党员、入党积极分子、群众 之一",
        "名册.csv 第 4 行：不认识的支部职务「主任」，应为书记、副书记或某委员（组织委员、宣传委员、纪检委员等），"
        "党小组长或没有职务的可写「无」或留空"]
    assert members(cli_config) == []


def test_the_role_column_still_works_and_alone_makes_an_administrator(cli_config: Path, tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", ["姓名,支部,角色,支部职务",
                                           "张三,第一党支部,管理员,书记",  # 角色 written: it wins
                                           "李四,第一党支部,,纪检委员",  # 角色 blank: the 支部职务's
                                           "王五,第一党支部,委员,"])
    assert invoke(cli_config, "members", "import", str(first)).exit_code == 0
    assert [(n, r) for n, r, *_ in members(cli_config)] == [("张三", "admin"), ("李四", "committee"),
                                                           ("王五", "committee")]
    # a roster with 支部职务 but no 角色 column leaves the 管理员 one, and moves the others with their posts
    second = write_csv(tmp_path / "b.csv", ["姓名,支部,支部职务", "张三,第一党支部,副书记", "李四,第一党支部,",
                                            "王五,第一党支部,书记"])
    result = invoke(cli_config, "members", "import", str(second))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("导入完成：新增 0 名，更新 3 名")
    assert [(n, r, p) for n, r, _c, p, _g in members(cli_config)] == [
        ("张三", "admin", "副书记"), ("李四", "member", ""), ("王五", "secretary", "书记")]


def test_a_roster_without_the_party_columns_imports_and_keeps_what_they_said(cli_config: Path,
                                                                             tmp_path: Path) -> None:
    assert invoke(cli_config, "members", "import", str(write_csv(tmp_path / "a.csv", PARTY_ROSTER))).exit_code == 0
    plain = write_csv(tmp_path / "b.csv", ["姓名,支部", "张三,第一党支部", "新人,第一党支部"])
    result = invoke(cli_config, "members", "import", str(plain))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("导入完成：新增 1 名，更新 0 名，未变化 1 名")
    stored = members(cli_config)
    assert stored[0] == PARTY_STORED[0] and stored[-1] == ("新人", "member", "", "", "")


@pytest.mark.parametrize(("header", "cell", "problem"), [
    ("党员类别", "正式\x07党员", "党员类别中有不可见的控制字符"),
    ("支部职务", "组织委员" * 10, "支部职务过长（最多 30 个字）"),
    ("党小组", "小" * 101, "党小组名称过长（最多 100 个字）"),
])
def test_bad_party_cells_name_their_row(cli_config: Path, tmp_path: Path, header: str, cell: str,
                                       problem: str) -> None:
    roster = write_csv(tmp_path / "名册.csv", [f"姓名,支部,{header}", "张三,第一党支部,", f"李四,第一党支部,{cell}"])
    result = invoke(cli_config, "members", "import", str(roster))
    assert result.exit_code == 1 and f"名册.csv 第 3 行：{problem}" in result.stderr
    assert members(cli_config) == []
