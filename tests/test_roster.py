"""`studybot members import|list`: roster files in every encoding and layout, and every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
import typer
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.storage.db import Database
from bot.storage.models import Branch, Identity, Member

runner = CliRunner()


def make_cli() -> typer.Typer:
    """The real `studybot` command line, with the commands main() registers."""
    return build_cli()


@pytest.fixture
def config(cli_config: Path) -> Path:
    return cli_config


def invoke(config: Path, *args: str):
    return runner.invoke(make_cli(), [*args, "--config", str(config)])


def stored(config: Path) -> list[tuple[str, str, str, dict[str, str]]]:
    """(name, branch, role, {channel: account}) for every member, in id order."""
    db = Database(f"sqlite:///{config.parent / 't.db'}")
    db.create_schema()
    try:
        with db.session() as session:
            branches = {b.id: b.name for b in session.exec(select(Branch)).all()}
            accounts: dict[int, dict[str, str]] = {}
            for identity in session.exec(select(Identity)).all():
                accounts.setdefault(identity.member_id, {})[identity.channel] = identity.external_id
            return [(m.name, branches[m.branch_id], m.role, accounts.get(m.id, {}))
                    for m in session.exec(select(Member).order_by(Member.id)).all()]
    finally:
        db.dispose()


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes("\n".join(lines).encode(encoding) + b"\n")
    return path


ROSTER = ["姓名,支部,角色,企业微信账号,钉钉账号",
          "张三,第一支部,书记,zhangsan,dd-zs",
          "李四,第一支部,,lisi,",
          "王五,第二支部,委员,,dd-ww"]
EXPECTED = [("张三", "第一支部", "secretary", {"wecom": "zhangsan", "dingtalk": "dd-zs"}),
            ("李四", "第一支部", "member", {"wecom": "lisi"}),
            ("王五", "第二支部", "committee", {"dingtalk": "dd-ww"})]


def test_import_utf8_bom_with_spaced_headers_in_another_order(config: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "members.csv", [" 钉钉账号 , 角色,姓名 ,支部,企业微信账号",
                                                "dd-zs,书记, 张三 ,第一支部,zhangsan",
                                                ",,李四,第一支部,lisi",
                                                "dd-ww,委员,王五,第二支部,"], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    result = invoke(config, "members", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "导入完成：新增 3 名，更新 0 名，未变化 0 名；现有支部 2 个" in result.stdout
    assert stored(config) == EXPECTED


def test_import_gbk(config: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "名册.csv", ROSTER, encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    result = invoke(config, "members", "import", str(path))
    assert result.exit_code == 0, result.output
    assert stored(config) == EXPECTED


def test_import_utf16_tab_separated_unicode_text(config: Path, tmp_path: Path) -> None:
    path = tmp_path / "名册.txt"  # Excel's「Unicode 文本」export
    path.write_bytes("\r\n".join(line.replace(",", "\t") for line in ROSTER).encode("utf-16"))
    result = invoke(config, "members", "import", str(path))
    assert result.exit_code == 0, result.output
    assert stored(config) == EXPECTED


def test_import_xlsx_with_title_row_numbers_and_other_column_order(config: Path, tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["机关党委党员名册"])
    sheet.append(["支部", "姓名", "企业微信账号", "角色", "备注"])
    sheet.append(["第一支部", "张三", 13800000000, "管理员", "组织委员兼任"])
    sheet.append([None, None, None, None, None])
    sheet.append(["第二支部", "\u3000王五 ", None, None, None])
    path = tmp_path / "members.xlsx"
    workbook.save(path)

    result = invoke(config, "members", "import", str(path))
    assert result.exit_code == 0, result.output
    assert stored(config) == [("张三", "第一支部", "admin", {"wecom": "13800000000"}),
                              ("王五", "第二支部", "member", {})]


def test_reimport_updates_instead_of_duplicating(config: Path, tmp_path: Path) -> None:
    assert invoke(config, "members", "import", str(write_csv(tmp_path / "a.csv", ROSTER))).exit_code == 0
    changed = write_csv(tmp_path / "b.csv", ["姓名,支部,角色,企业微信账号",
                                             "张三,第二支部,成员,zhangsan",   # moved branch, found by account
                                             "李四,第一支部,委员,",           # found by name in branch
                                             "赵六,第三支部,,zhaoliu"])
    result = invoke(config, "members", "import", str(changed))
    assert result.exit_code == 0, result.output
    assert "新增 1 名，更新 2 名，未变化 0 名；现有支部 3 个（本次新建 1 个）" in result.stdout
    assert "转支部：张三（第一支部 → 第二支部）" in result.stdout
    assert stored(config) == [("张三", "第二支部", "member", {"wecom": "zhangsan", "dingtalk": "dd-zs"}),
                              ("李四", "第一支部", "committee", {"wecom": "lisi"}),
                              ("王五", "第二支部", "committee", {"dingtalk": "dd-ww"}),
                              ("赵六", "第三支部", "member", {"wecom": "zhaoliu"})]
    # the same file again changes nothing
    again = invoke(config, "members", "import", str(changed))
    assert again.stdout == "导入完成：新增 0 名，更新 0 名，未变化 3 名；现有支部 3 个。\n"
    assert len(stored(config)) == 4


def test_file_without_role_column_keeps_existing_roles(config: Path, tmp_path: Path) -> None:
    assert invoke(config, "members", "import", str(write_csv(tmp_path / "a.csv", ROSTER))).exit_code == 0
    result = invoke(config, "members", "import", str(write_csv(tmp_path / "b.csv", ["姓名,支部", "张三,第一支部",
                                                                                   "钱七,第一支部"])))
    assert result.exit_code == 0, result.output
    roles = {name: role for name, _branch, role, _ids in stored(config)}
    assert roles == {"张三": "secretary", "李四": "member", "王五": "committee", "钱七": "member"}


def test_columns_the_reader_does_not_know_are_named_not_dropped_in_silence(config: Path, tmp_path: Path) -> None:
    """A roster with columns the reader does not know imported them as nothing and said nothing (issue 14)."""
    roster = write_csv(tmp_path / "名册.csv", ["序号,姓名,支部,电话,出生日期,备注", "1,张三,第一支部,138,1980-01-01,",
                                               "2,李四,第一支部,,1990-02-02,"])
    result = invoke(config, "members", "import", str(roster))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        "提示：名册中以下列未导入：电话、出生日期（读取的列：姓名、支部（可选：角色、党员类别、支部职务、党小组、"
        "企业微信账号、钉钉账号））。名册没有「角色」或「支部职务」列：新成员按成员导入，已有成员的角色不变；"
        "书记、委员请在「支部职务」列注明，管理员请在「角色」列注明")
    assert [(name, role) for name, _b, role, _ids in stored(config)] == [("张三", "member"), ("李四", "member")]
    again = invoke(config, "members", "import", str(write_csv(tmp_path / "b.csv", ROSTER)))
    assert again.exit_code == 0 and "提示" not in again.output


@pytest.mark.parametrize(("lines", "messages"), [
    (["姓名,支部,角色", "张三,第一支部,", ",第一支部,成员"], ["members.csv 第 3 行：缺少姓名"]),
    (["姓名,支部,角色", "张三,第一支部,组长"], ["members.csv 第 2 行：不认识的角色「组长」", "书记"]),
    (["姓名,支部,角色", "张三,,成员"], ["members.csv 第 2 行：缺少支部（张三）"]),
    (["姓名,支部,企业微信账号", "张三,第一支部,zs", "李四,第一支部,lisi", "王五,第二支部,zs"],
     ["members.csv 第 4 行：企业微信账号「zs」与第 2 行重复"]),
    (["姓名,支部,钉钉账号", "张三,第一支部,d1", "张三,第一支部,d2"],
     ["members.csv 第 3 行：「第一支部」的「张三」与第 2 行重复"]),
    (["支部,角色", "第一支部,成员"], ["members.csv：找不到表头"]),
    (["姓名,角色", "张三,成员"], ["members.csv 第 1 行：表头缺少「支部」列"]),
    (["姓名,支部,角色"], ["members.csv：只有表头，没有成员数据"]),
    ([""], ["members.csv：文件是空的"]),
])
def test_bad_rosters_are_rejected_whole(config: Path, tmp_path: Path, lines: list[str], messages: list[str]) -> None:
    path = write_csv(tmp_path / "members.csv", ["姓名,支部", "先导入的正常行,第一支部"])
    assert invoke(config, "members", "import", str(path)).exit_code == 0
    before = stored(config)
    write_csv(path, lines)
    result = invoke(config, "members", "import", str(path))
    assert result.exit_code == 1
    for message in messages:
        assert message in result.stderr
    assert "未导入任何成员" in result.stderr
    assert "Traceback" not in result.output
    assert stored(config) == before


def test_every_problem_is_reported_and_good_rows_are_not_imported(config: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "members.csv", ["姓名,支部,角色,企业微信账号",
                                                "张三,第一支部,书记,zs",
                                                ",第一支部,,",
                                                "赵六,第二支部,组长,zs",
                                                "王五,第二支部,委员,ww"])
    result = invoke(config, "members", "import", str(path))
    assert result.exit_code == 1
    assert "members.csv 有 3 处问题，未导入任何成员" in result.stderr
    assert "members.csv 第 3 行：缺少姓名" in result.stderr
    assert "members.csv 第 4 行：不认识的角色「组长」" in result.stderr
    assert "members.csv 第 4 行：企业微信账号「zs」与第 2 行重复" in result.stderr
    assert stored(config) == []


def test_accounts_of_two_existing_members_in_one_row(config: Path, tmp_path: Path) -> None:
    assert invoke(config, "members", "import", str(write_csv(tmp_path / "a.csv", ROSTER))).exit_code == 0
    before = stored(config)
    path = write_csv(tmp_path / "b.csv", ["姓名,支部,企业微信账号,钉钉账号", "张三,第一支部,zhangsan,dd-ww"])
    result = invoke(config, "members", "import", str(path))
    assert result.exit_code == 1
    assert "b.csv 第 2 行：钉钉账号「dd-ww」已属于 王五（第二支部），与本行姓名「张三」不符" in result.stderr
    assert stored(config) == before


def test_missing_file_and_unsupported_files(config: Path, tmp_path: Path) -> None:
    result = invoke(config, "members", "import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert "找不到名册文件" in result.stderr and "nope.csv" in result.stderr

    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    result = invoke(config, "members", "import", str(tmp_path / "old.xls"))
    assert result.exit_code == 1 and "另存为 .xlsx" in result.stderr

    (tmp_path / "broken.xlsx").write_text("not a zip", encoding="utf-8")
    result = invoke(config, "members", "import", str(tmp_path / "broken.xlsx"))
    assert result.exit_code == 1 and "broken.xlsx：不是有效的 .xlsx 文件" in result.stderr
    assert stored(config) == []


def test_list_table_json_and_branch_filter(config: Path, tmp_path: Path) -> None:
    result = invoke(config, "members", "list")
    assert result.exit_code == 0 and "还没有成员" in result.stdout
    assert invoke(config, "members", "import", str(write_csv(tmp_path / "a.csv", ROSTER))).exit_code == 0

    table = invoke(config, "members", "list")
    assert table.exit_code == 0
    for text in ("姓名", "支部", "角色", "张三", "书记", "zhangsan", "王五"):
        assert text in table.stdout

    listed = json.loads(invoke(config, "members", "list", "--branch", "第一支部", "--format", "json").stdout)
    assert [(m["name"], m["branch"], m["role"], m["wecom"]) for m in listed] == [
        ("张三", "第一支部", "secretary", "zhangsan"), ("李四", "第一支部", "member", "lisi")]

    unknown = invoke(config, "members", "list", "--branch", "第九支部")
    assert unknown.exit_code == 1 and "没有名为「第九支部」的支部" in unknown.stderr and "第一支部" in unknown.stderr
    assert invoke(config, "members", "list", "--format", "xml").exit_code == 2


# ----- matching rows to existing members: accounts, moves, namesakes -----

PARTY = ["姓名,支部,角色,企业微信账号,钉钉账号",
         "张三,第一党支部,书记,zhangsan,dd-zs",
         "李四,第一党支部,,lisi,dd-ls",
         "王五,第二党支部,,,"]


def import_lines(config: Path, tmp_path: Path, lines: list[str], filename: str = "b.csv"):
    return invoke(config, "members", "import", str(write_csv(tmp_path / filename, lines)))


@pytest.mark.parametrize(("row", "message"), [
    ("王五,第二党支部,,lisi,", "b.csv 第 2 行：企业微信账号「lisi」已属于 李四（第一党支部）"),
    ("王五,第二党支部,,,dd-ls", "b.csv 第 2 行：钉钉账号「dd-ls」已属于 李四（第一党支部）"),
    ("赵六,第三党支部,,lisi,dd-ls", "b.csv 第 2 行：企业微信账号「lisi」已属于 李四（第一党支部），"
                                   "钉钉账号「dd-ls」已属于 李四（第一党支部），与本行姓名「赵六」不符"),
])
def test_an_account_of_another_member_is_a_problem_not_a_rename(config: Path, tmp_path: Path,
                                                                row: str, message: str) -> None:
    assert import_lines(config, tmp_path, PARTY, "a.csv").exit_code == 0
    before = stored(config)
    result = import_lines(config, tmp_path, [PARTY[0], row])
    assert result.exit_code == 1
    assert message in result.stderr
    assert "未导入任何成员" in result.stderr
    assert "更新" not in result.stdout
    assert stored(config) == before  # 李四 is still 李四, no 王五 or 赵六 took his account


def test_two_namesakes_owning_the_accounts_of_one_row(config: Path, tmp_path: Path) -> None:
    assert import_lines(config, tmp_path, ["姓名,支部,企业微信账号,钉钉账号", "张三,第一党支部,zs1,",
                                           "张三,第二党支部,,dd2"], "a.csv").exit_code == 0
    before = stored(config)
    result = import_lines(config, tmp_path, ["姓名,支部,企业微信账号,钉钉账号", "张三,第一党支部,zs1,dd2"])
    assert result.exit_code == 1
    assert ("b.csv 第 2 行：企业微信账号「zs1」已属于 张三（第一党支部），钉钉账号「dd2」已属于 张三（第二党支部），"
            "无法确定是哪一位成员") in result.stderr
    assert stored(config) == before


def test_two_rows_with_accounts_of_one_member(config: Path, tmp_path: Path) -> None:
    assert import_lines(config, tmp_path, PARTY, "a.csv").exit_code == 0
    before = stored(config)
    result = import_lines(config, tmp_path, ["姓名,支部,企业微信账号,钉钉账号", "张三,第一党支部,zhangsan,",
                                             "张三,第二党支部,,dd-zs"])
    assert result.exit_code == 1
    assert "b.csv 第 3 行：与第 2 行的账号属于同一位已有成员 张三（第一党支部），请合并为一行" in result.stderr
    assert stored(config) == before


def test_moving_a_member_without_accounts_updates_them(config: Path, tmp_path: Path) -> None:
    assert import_lines(config, tmp_path, ["姓名,支部", "张三,第一党支部", "李四,第一党支部"], "a.csv").exit_code == 0
    result = import_lines(config, tmp_path, ["姓名,支部", "张三,第二党支部", "李四,第一党支部"])
    assert result.exit_code == 0, result.output
    assert result.stdout == ("导入完成：新增 0 名，更新 1 名，未变化 1 名；现有支部 2 个（本次新建 1 个）。\n"
                             "转支部：张三（第一党支部 → 第二党支部）\n")
    assert stored(config) == [("张三", "第二党支部", "member", {}), ("李四", "第一党支部", "member", {})]


def test_moving_a_member_with_an_account_links_it_and_keeps_one_record(config: Path, tmp_path: Path) -> None:
    assert import_lines(config, tmp_path, ["姓名,支部,角色", "张三,第一党支部,书记"], "a.csv").exit_code == 0
    # the roster now gives 张三's account and his new branch: the one 张三 there is moves
    moved = import_lines(config, tmp_path, ["姓名,支部,企业微信账号", "张三,第二党支部,zhangsan"])
    assert moved.exit_code == 0, moved.output
    assert "新增 0 名，更新 1 名" in moved.stdout and "转支部：张三（第一党支部 → 第二党支部）" in moved.stdout
    assert stored(config) == [("张三", "第二党支部", "secretary", {"wecom": "zhangsan"})]
    # and back again, by account
    back = import_lines(config, tmp_path, ["姓名,支部,企业微信账号", "张三,第一党支部,zhangsan"], "c.csv")
    assert back.exit_code == 0, back.output
    assert stored(config) == [("张三", "第一党支部", "secretary", {"wecom": "zhangsan"})]


def test_a_member_moved_by_account_into_a_branch_with_a_namesake_is_a_problem(config: Path, tmp_path: Path) -> None:
    """The reported case: 张三 with his own account moved to a branch that already had a 张三 (an
    older record without an account) and the branch was left with two 张三."""
    assert import_lines(config, tmp_path, ["姓名,支部,企业微信账号", "张三,第一党支部,",
                                           "张三,第二党支部,zhangsan"], "a.csv").exit_code == 0
    before = stored(config)
    result = import_lines(config, tmp_path, ["姓名,支部,企业微信账号", "张三,第一党支部,zhangsan"])
    assert result.exit_code == 1
    assert ("b.csv 第 2 行：本行对应已有成员 张三（第二党支部），但「第一党支部」已有另一位「张三」，"
            "两条记录无法自动合并") in result.stderr
    assert stored(config) == before
    # when the same file moves the other 张三 away, both moves are fine
    swap = import_lines(config, tmp_path, ["姓名,支部,企业微信账号", "张三,第一党支部,zhangsan",
                                           "张三,第三党支部,"], "c.csv")
    assert swap.exit_code == 0, swap.output
    assert stored(config) == [("张三", "第三党支部", "member", {}),
                              ("张三", "第一党支部", "member", {"wecom": "zhangsan"})]


def test_namesakes_in_other_branches_need_an_account_to_tell_them_apart(config: Path, tmp_path: Path) -> None:
    assert import_lines(config, tmp_path, ["姓名,支部,企业微信账号", "张三,第一党支部,zs1", "张三,第三党支部,zs3"],
                        "a.csv").exit_code == 0
    before = stored(config)
    result = import_lines(config, tmp_path, ["姓名,支部", "张三,第二党支部"])
    assert result.exit_code == 1
    assert ("b.csv 第 2 行：已有 2 位「张三」（第一党支部、第三党支部），无法确定本行是哪一位；"
            "请在名册中加上「企业微信账号」或「钉钉账号」列并填写此人的账号") in result.stderr
    assert stored(config) == before

    same_branch = import_lines(config, tmp_path, ["姓名,支部,角色", "张三,第一党支部,委员"], "c.csv")
    assert same_branch.exit_code == 0, same_branch.output  # the name in the row's branch decides
    assert "更新 1 名" in same_branch.stdout

    by_account = import_lines(config, tmp_path, ["姓名,支部,企业微信账号", "张三,第二党支部,zs3"], "d.csv")
    assert by_account.exit_code == 0, by_account.output
    assert "转支部：张三（第三党支部 → 第二党支部）" in by_account.stdout
    assert stored(config) == [("张三", "第一党支部", "committee", {"wecom": "zs1"}),
                              ("张三", "第二党支部", "member", {"wecom": "zs3"})]

    # a new account the namesakes do not have: a third 张三, not a move
    third = import_lines(config, tmp_path, ["姓名,支部,企业微信账号", "张三,第四党支部,zs4"], "e.csv")
    assert third.exit_code == 0, third.output
    assert "新增 1 名" in third.stdout and "转支部" not in third.stdout
    assert len(stored(config)) == 3


def test_a_new_namesake_row_is_not_mistaken_for_a_member_another_row_moves(config: Path, tmp_path: Path) -> None:
    first = import_lines(config, tmp_path, ["姓名,支部,企业微信账号", "张三,第一党支部,zhangsan"], "a.csv")
    assert first.exit_code == 0
    result = import_lines(config, tmp_path, ["姓名,支部,企业微信账号", "张三,第一党支部,",  # a new 张三
                                             "张三,第二党支部,zhangsan"])           # the old one moves
    assert result.exit_code == 0, result.output
    assert "新增 1 名，更新 1 名" in result.stdout
    assert sorted(stored(config)) == [("张三", "第一党支部", "member", {}),
                                      ("张三", "第二党支部", "member", {"wecom": "zhangsan"})]


# ----- what a re-import reports -----

def test_reimporting_an_unchanged_roster_reports_nothing_updated(config: Path, tmp_path: Path) -> None:
    assert import_lines(config, tmp_path, PARTY + ["赵六,第二党支部,委员,,"], "a.csv").exit_code == 0
    before = stored(config)
    again = import_lines(config, tmp_path, PARTY + ["赵六,第二党支部,委员,,"], "a.csv")
    assert again.exit_code == 0, again.output
    assert again.stdout == "导入完成：新增 0 名，更新 0 名，未变化 4 名；现有支部 2 个。\n"
    assert stored(config) == before
    # without a 角色 column roles are kept, so nothing changes either
    no_roles = import_lines(config, tmp_path, ["姓名,支部", "张三,第一党支部", "赵六,第二党支部"])
    assert "新增 0 名，更新 0 名，未变化 2 名" in no_roles.stdout
    # one new account, one new role: two updated
    changed = import_lines(config, tmp_path, ["姓名,支部,角色,企业微信账号", "张三,第一党支部,书记,zhangsan",
                                              "王五,第二党支部,,ww", "赵六,第二党支部,成员,"], "c.csv")
    assert changed.stdout == "导入完成：新增 0 名，更新 2 名，未变化 1 名；现有支部 2 个。\n"
    assert stored(config)[2:] == [("王五", "第二党支部", "member", {"wecom": "ww"}),
                                  ("赵六", "第二党支部", "member", {})]


# ----- headers and help -----

def test_missing_header_messages_say_which_columns_are_required(config: Path, tmp_path: Path) -> None:
    hint = "姓名、支部（可选：角色、党员类别、支部职务、党小组、企业微信账号、钉钉账号）"
    for lines, message in [(["支部,角色", "第一党支部,成员"], f"b.csv：找不到表头，表头一行应包含：{hint}"),
                           ([""], f"b.csv：文件是空的，第 1 行应是表头：{hint}"),
                           (["姓名,角色", "张三,成员"], f"b.csv 第 1 行：表头缺少「支部」列（表头应包含：{hint}）")]:
        result = import_lines(config, tmp_path, lines)
        assert result.exit_code == 1
        assert message in result.stderr
        assert "姓名、支部、角色" not in result.stderr
    # and indeed 角色 is optional
    result = import_lines(config, tmp_path, ["姓名,支部", "张三,第一党支部"])
    assert result.exit_code == 0, result.output
    assert stored(config) == [("张三", "第一党支部", "member", {})]


def test_import_help_shows_the_file_argument_plainly() -> None:
    from bot.cli import build_cli

    result = runner.invoke(build_cli(), ["members", "import", "--help"], prog_name="studybot", terminal_width=200)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("用法：studybot members import [选项] FILE\n")
    assert "{FILE}" not in result.stdout
    assert "列：姓名、支部（可选：角色、党员类别、支部职务、党小组、企业微信账号、钉钉账号）" in result.stdout


def test_no_sequence_of_imports_leaves_two_namesakes_in_one_branch(tmp_path: Path) -> None:
    """Random rosters over few names, branches and accounts, imported one after another: each
    either imports whole (every row then stored as written, no branch with two members of one
    name) or is refused and changes nothing."""
    import random
    from datetime import datetime

    from bot.services.roster import import_roster
    from bot.services.roster_file import IDENTITY_COLUMNS, RosterError, RosterRow

    rng = random.Random(20260304)
    db = Database(f"sqlite:///{tmp_path / 'random.db'}")
    db.create_schema()

    def snapshot(session) -> list[tuple]:
        branches = {b.id: b.name for b in session.exec(select(Branch)).all()}
        accounts: dict[int, set] = {}
        for identity in session.exec(select(Identity)).all():
            accounts.setdefault(identity.member_id, set()).add((identity.channel, identity.external_id))
        return [(m.id, m.name, branches.get(m.branch_id), m.role, frozenset(accounts.get(m.id, ())))
                for m in session.exec(select(Member).order_by(Member.id)).all()]

    imported = refused = 0
    try:
        for _ in range(150):
            rows, keys, used = [], set(), set()
            for number in range(2, 2 + rng.randint(1, 4)):
                name, branch = rng.choice("甲乙"), rng.choice(["一支部", "二支部", "三支部"])
                identities = {channel: f"{channel[0]}{rng.randint(1, 4)}"
                              for channel in IDENTITY_COLUMNS if rng.random() < 0.4}
                if (branch, name) in keys or used & set(identities.items()):
                    continue  # read_roster refuses these before the database is asked
                keys.add((branch, name))
                used |= set(identities.items())
                rows.append(RosterRow(number, name, branch, rng.choice([None, "member", "committee"]), identities))
            with db.session() as session:
                before = snapshot(session)
            try:
                import_roster(db, rows=rows, now=datetime(2026, 3, 4), label="r.csv", chunk=2)
            except RosterError:
                with db.session() as session:
                    assert snapshot(session) == before
                refused += 1
                continue
            with db.session() as session:
                after = snapshot(session)
            imported += 1
            places = [(branch, name) for _id, name, branch, _role, _accounts in after]
            assert len(places) == len(set(places)), after
            for row in rows:
                [member] = [m for m in after if (m[2], m[1]) == (row.branch, row.name)]
                assert set(row.identities.items()) <= member[4]
    finally:
        db.dispose()
    assert imported > 30 and refused > 10  # both paths were exercised
