"""`studybot members import|list`: roster files in every encoding and layout, and every bad input."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
import typer
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli_members import members_cli
from bot.cli_rank import rank
from bot.storage.db import Database
from bot.storage.models import Branch, Identity, Member

runner = CliRunner()


def make_cli() -> typer.Typer:
    """The sub-commands registered the way bot.cli.main does, on a fresh app."""
    app = typer.Typer()
    app.add_typer(members_cli, name="members")
    app.command(name="rank")(rank)
    return app


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "studybot.yaml"
    path.write_text(f"database:\n  url: sqlite:///{tmp_path / 't.db'}\n", encoding="utf-8")
    return path


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
    assert "新增 3 名成员，更新 0 名；现有支部 2 个" in result.stdout
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
    assert "新增 1 名成员，更新 2 名；现有支部 3 个（本次新建 1 个）" in result.stdout
    assert stored(config) == [("张三", "第二支部", "member", {"wecom": "zhangsan", "dingtalk": "dd-zs"}),
                              ("李四", "第一支部", "committee", {"wecom": "lisi"}),
                              ("王五", "第二支部", "committee", {"dingtalk": "dd-ww"}),
                              ("赵六", "第三支部", "member", {"wecom": "zhaoliu"})]
    # the same file again changes nothing
    again = invoke(config, "members", "import", str(changed))
    assert "新增 0 名成员，更新 3 名" in again.stdout
    assert len(stored(config)) == 4


def test_file_without_role_column_keeps_existing_roles(config: Path, tmp_path: Path) -> None:
    assert invoke(config, "members", "import", str(write_csv(tmp_path / "a.csv", ROSTER))).exit_code == 0
    result = invoke(config, "members", "import", str(write_csv(tmp_path / "b.csv", ["姓名,支部", "张三,第一支部",
                                                                                   "钱七,第一支部"])))
    assert result.exit_code == 0, result.output
    roles = {name: role for name, _branch, role, _ids in stored(config)}
    assert roles == {"张三": "secretary", "李四": "member", "王五": "committee", "钱七": "member"}


@pytest.mark.parametrize(("lines", "messages"), [
    (["姓名,支部,角色", "张三,第一支部,", ",第一支部,成员"], ["members.csv 第 3 行：缺少姓名"]),
    (["姓名,支部,角色", "张三,第一支部,组长"], ["members.csv 第 2 行：不认识的角色「组长」", "书记"]),
    (["姓名,支部,角色", "张三,,成员"], ["members.csv 第 2 行：缺少支部（张三）"]),
    (["姓名,支部,企业微信账号", "张三,第一支部,zs", "李四,第一支部,lisi", "王五,第二支部,zs"],
     ["members.csv 第 4 行：企业微信账号「zs」与第 2 行重复"]),
    (["姓名,支部,钉钉账号", "张三,第一支部,d1", "张三,第一支部,d2"], ["members.csv 第 3 行：「第一支部」的「张三」与第 2 行重复"]),
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
    assert "b.csv 第 2 行：企业微信账号「zhangsan」已属于「张三」，钉钉账号「dd-ww」已属于「王五」" in result.stderr
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
