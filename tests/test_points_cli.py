"""`studybot points`: points by hand from the command line as the 支委 named by --by — the same rules as in chat;
what is printed, the exit code (0 done, 1 no such 编号, 2 refused) and what is stored."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.cli.common import CliContext
from bot.clock import ManualClock
from bot.storage.branches import get_or_create_branch
from bot.storage.db import Database
from bot.storage.models import PointsEntry, PointsTotal
from bot.storage.models_points import PointsRequest, PointsRequestChange
from bot.storage.people import upsert_member

runner = CliRunner()
NOW = datetime(2026, 12, 7, 10, 0)


def invoke(config: Path, *args: str, now: datetime = NOW):
    return runner.invoke(build_cli(), ["points", *args, "--config", str(config)], obj=CliContext(ManualClock(now)))


@pytest.fixture
def roster(cli_config: Path, tmp_path: Path) -> Path:
    """第一党支部: 张三 (书记), 李四 (委员), 王五; 第二党支部: 赵六 (书记), 钱七."""
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    db.create_schema()
    with db.session() as session:
        one = get_or_create_branch(session=session, name="第一党支部").id
        two = get_or_create_branch(session=session, name="第二党支部").id
        for name, branch_id, role in (("张三", one, "secretary"), ("李四", one, "committee"), ("王五", one, "member"),
                                      ("赵六", two, "secretary"), ("钱七", two, "member")):
            upsert_member(session=session, name=name, branch_id=branch_id, role=role, identities={}, now=NOW)
        session.commit()
    db.dispose()
    return cli_config


def stored(tmp_path: Path, model) -> list:
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    with db.session() as session:
        rows = list(session.exec(select(model).order_by(model.id if hasattr(model, "id") else model.member_id)))
    db.dispose()
    return rows


def test_an_award_waits_for_a_second_committee_member_then_counts(roster: Path, tmp_path: Path) -> None:
    asked = invoke(roster, "award", "王五", "5", "志愿服务", "参加社区义务植树", "--by", "李四")
    assert asked.exit_code == 0, asked.output
    assert asked.stdout == (
        "📝 已提出加分申请（编号 1）：王五 志愿服务 加 5 分，事由：参加社区义务植树。\n需本支部另一位书记或委员运行 "
        "studybot points approve 1 --by 姓名（或在群里发送「同意 1」）后计入党建积分；待同意的申请可用 studybot points "
        "list --pending 查看。\n")
    assert stored(tmp_path, PointsEntry) == []

    own = invoke(roster, "approve", "1", "--by", "李四")
    assert (own.exit_code, own.stderr) == (2, "编号 1 是您提出的，需由本支部另一位书记或委员同意。\n")
    other = invoke(roster, "approve", "1", "--by", "赵六")
    assert (other.exit_code, other.stderr) == (2, "编号 1 是第一党支部的积分申请，您只能同意本支部的申请。\n")
    agreed = invoke(roster, "approve", "1", "--by", "张三")
    assert agreed.exit_code == 0, agreed.output
    assert agreed.stdout == (
        "✅ 已同意编号 1：王五 志愿服务 加 5 分（李四提出，事由：参加社区义务植树）。已计入党建积分。\n")
    again = invoke(roster, "approve", "1", "--by", "张三")
    assert (again.exit_code, again.stdout) == (0, "编号 1 已由张三同意并生效，不需要再同意。\n")
    [entry] = stored(tmp_path, PointsEntry)
    assert (entry.amount, entry.reason, entry.source, entry.category, entry.note, entry.created_at) == (
        5, "manual", "request:1", "service", "参加社区义务植树", NOW)
    [request] = stored(tmp_path, PointsRequest)
    assert request.status == "approved"


@pytest.mark.parametrize(("args", "code", "error"), [
    (["award", "王五", "5", "志愿服务", "帮扶", "--by", "王五"], 2,
     "王五不是书记、委员或管理员；--by 应写本支部书记或委员的姓名。"),
    (["award", "王五", "5", "志愿服务", "帮扶", "--by", "张山"], 2,
     "没有名为「张山」的党员；--by 应写本支部书记或委员的姓名（花名册中的写法）。"),
    (["award", "钱七", "5", "志愿服务", "帮扶", "--by", "李四"], 2,
     "钱七是第二党支部的党员，您只能为本支部（第一党支部）的党员加分。"),
    (["award", "王五", "25", "志愿服务", "帮扶", "--by", "李四"], 2,
     "一次最多加 20 分（points.manual_max），「25」超出了；确需更多请分几条写明事由。"),
    (["award", "王五", "5", "答题", "帮扶", "--by", "李四"], 2,
     "「答题」由机器人按规则自动计分，不能手工加分。加分类别应为：志愿服务、先锋作用、学习、组织生活。"),
    (["approve", "9", "--by", "张三"], 1,
     "没有编号为 9 的积分申请；待同意的申请可用 studybot points list --pending 查看。"),
    (["approve", "九号", "--by", "张三"], 2,
     "编号应为数字，例如：studybot points approve 3 --by 张三（「九号」不是；编号见 studybot points list）"),
])
def test_bad_input_is_refused_with_its_exit_code(roster: Path, tmp_path: Path, args: list[str], code: int,
                                                 error: str) -> None:
    result = invoke(roster, *args)
    assert (result.exit_code, result.stdout) == (code, "")
    assert result.stderr.splitlines()[0] == error
    assert stored(tmp_path, PointsRequest) == [] and stored(tmp_path, PointsEntry) == []


def test_a_missing_reason_is_refused(roster: Path) -> None:
    result = invoke(roster, "deduct", "王五", "2", "组织生活", "--by", "李四")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "请写明扣分事由。",
        "格式：扣分 姓名 分值 [类别] 事由，例如："
        "studybot points deduct 王五 2 组织生活 无故缺席支部党员大会 --by 支委姓名",
        "类别可不写，写了记入事由；扣分计入「扣分」类；分值 1–20 分；事由必须写明。"]


def test_a_deduction_rejected_and_a_reversal_that_leaves_the_old_entry_as_it_was(roster: Path, tmp_path: Path) -> None:
    assert invoke(roster, "deduct", "王五", "2", "组织生活", "无故缺席", "--by", "李四").exit_code == 0
    rejected = invoke(roster, "reject", "1", "已按规定请假", "--by", "张三")
    assert rejected.stdout == (
        "已退回编号 1（王五 扣 2 分，事由：组织生活：无故缺席），不计入党建积分。退回理由：已按规定请假。\n")
    assert invoke(roster, "award", "王五", "3", "先锋作用", "带头攻坚", "--by", "李四").exit_code == 0
    assert invoke(roster, "approve", "2", "--by", "张三").exit_code == 0
    before = [row.model_dump() for row in stored(tmp_path, PointsEntry)]
    missing = invoke(roster, "reverse", "2", "--by", "张三")
    assert missing.exit_code == 2  # the 事由 is required
    reversed_ = invoke(roster, "reverse", "2", "重复记录", "--by", "张三", now=datetime(2026, 12, 8, 9, 0))
    assert reversed_.exit_code == 0, reversed_.output
    assert reversed_.stdout.startswith("✅ 已撤销编号 2（王五 先锋作用 加 3 分）：另记一笔 -3 分冲减，原记录保留。")
    after = [row.model_dump() for row in stored(tmp_path, PointsEntry)]
    assert after[:1] == before and [(e["amount"], e["source"]) for e in after] == [(3, "request:2"),
                                                                                 (-3, "request:2:undo")]
    assert [t.points for t in stored(tmp_path, PointsTotal) if t.period_key == "ALL"] == [0]
    changes = [(c.request_id, c.action, c.note) for c in stored(tmp_path, PointsRequestChange)]
    assert changes[-1] == (2, "reversed", "重复记录") and (1, "rejected", "已按规定请假") in changes


def test_the_list_shows_each_request_with_its_status(roster: Path) -> None:
    invoke(roster, "award", "王五", "5", "志愿服务", "植树", "--by", "李四")
    invoke(roster, "award", "钱七", "4", "学习", "学习笔记", "--by", "赵六")
    invoke(roster, "approve", "1", "--by", "张三")
    listed = invoke(roster, "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert "手工加分、扣分（2 条）" in lines[0]
    headers = ("编号", "状态", "支部", "党员", "分值", "事由", "提出人", "审核人")
    assert all(header in listed.stdout for header in headers)
    assert "已生效" in listed.stdout and "待同意" in listed.stdout and "+5" in listed.stdout
    pending = invoke(roster, "list", "--pending", "--branch", "第二党支部")
    assert "钱七" in pending.stdout and "王五" not in pending.stdout
    none = invoke(roster, "list", "--pending", "--branch", "第一党支部")
    assert none.stdout == "第一党支部待同意的手工加分、扣分：暂无。\n"
    unknown = invoke(roster, "list", "--branch", "第九党支部")
    assert (unknown.exit_code, unknown.stderr) == (2, "没有支部「第九党支部」。现有支部：第一党支部、第二党支部\n")


def test_without_approval_an_award_counts_at_once(roster: Path, tmp_path: Path) -> None:
    roster.write_text(roster.read_text(encoding="utf-8") + "points:\n  approval: false\n", encoding="utf-8")
    result = invoke(roster, "award", "王五", "五", "志愿服务", "植树", "--by", "李四")
    assert result.stdout == "✅ 已记加分（编号 1）：王五 志愿服务 加 5 分，事由：植树。已计入党建积分。\n"
    assert [e.amount for e in stored(tmp_path, PointsEntry)] == [5]


@pytest.mark.parametrize("args", [["list"], ["approve", "1", "--by", "张三"],
                                  ["award", "王五", "5", "志愿服务", "植树", "--by", "李四"]], ids=" ".join)
def test_a_mistyped_database_path_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_config_env,
                                             args: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "studybot.yaml"
    config.write_text("database:\n  url: sqlite:///dta/studybot.db\n", encoding="utf-8")
    result = invoke(config, *args)
    assert result.exit_code == 2 and result.stderr.startswith("数据库文件 dta/studybot.db 不存在")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["studybot.yaml"]


def test_the_help_is_in_chinese() -> None:
    result = runner.invoke(build_cli(), ["points", "--help"])
    assert result.exit_code == 0
    assert "手工加分、扣分" in result.stdout and "award" in result.stdout and "approve" in result.stdout
