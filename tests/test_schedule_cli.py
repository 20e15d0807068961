"""`studybot push`, `studybot meetings` and `studybot reload`: what the secretary and the committee type
and read, what is stored, and every bad input they might give."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.storage.branches import get_or_create_group
from bot.storage.db import Database
from bot.storage.models import AttendanceRow, MeetingRow, Member, ScheduledPush
from bot.storage.people import register_member

runner = CliRunner()


def invoke(config: Path, *args: str):
    return runner.invoke(build_cli(), [*args, "--config", str(config)])


@pytest.fixture
def branch(cli_config: Path, tmp_path: Path) -> Path:
    """第一党支部 with its group 第一党支部 (as the bot learns it) and two members."""
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    db.create_schema()
    with db.session() as session:
        group = get_or_create_group(session=session, channel="local", external_id="第一党支部", name="第一党支部",
                                    branch_name="第一党支部")
        for name in ("张三", "李四"):
            register_member(session=session, channel="local", external_id=name, name=name, branch_id=group.branch_id,
                            now=datetime(2026, 9, 1, 9, 0))
        session.commit()
    db.dispose()
    return cli_config


def stored(tmp_path: Path, model):
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    with db.session() as session:
        rows = list(session.exec(select(model)))
    db.dispose()
    return rows


def test_push_add_list_cancel(branch: Path, tmp_path: Path) -> None:
    added = invoke(branch, "push", "add", "三会一课制度要点", "每周一 09:00", "--branch", "第一党支部")
    assert added.exit_code == 0, added.output
    assert added.output.startswith("✅ 已安排推送（编号 1）：每周一 09:00")
    assert "《三会一课制度要点》" in added.output and "第一次推送：" in added.output
    listed = invoke(branch, "push", "list", "--branch", "第一党支部")
    assert "《三会一课制度要点》（编号 1，每周一 09:00）" in listed.output
    [row] = stored(tmp_path, ScheduledPush)
    assert (row.item_id, row.when_text, row.created_by, row.cancelled_at) == (
        "02-sanhui-yike", "每周一 09:00", "命令行", None)
    cancelled = invoke(branch, "push", "cancel", "1")
    assert cancelled.exit_code == 0 and cancelled.output.startswith("已取消推送（编号 1）")
    assert stored(tmp_path, ScheduledPush)[0].cancelled_at is not None
    assert invoke(branch, "push", "list", "--branch", "第一党支部").output.strip() == "第一党支部 近期没有学习推送。"


@pytest.mark.parametrize("args, message", [
    (["push", "add", "没有这篇", "每周一 09:00", "--branch", "第一党支部"], "没有找到学习资料「没有这篇」"),
    (["push", "add", "三会一课制度要点", "每周八 09:00", "--branch", "第一党支部"], "看不懂时间「每周八 09:00」"),
    (["push", "add", "三会一课制度要点", "每周一 09:00", "--branch", "第九党支部"],
     "没有支部「第九党支部」。现有支部：第一党支部"),
    (["push", "add", "三会一课制度要点", "每周一 09:00", "--branch", "第一党支部", "--group", "别的群"],
     "支部「第一党支部」没有群「别的群」"),
    (["meetings", "add", "茶话会", "2027-03-02", "14:30", "--branch", "第一党支部"],
     "未知的会议类型「茶话会」，可选：支部党员大会"),
    (["meetings", "add", "支委会", "2020-03-02", "14:30", "--branch", "第一党支部"], "会议时间已过"),
    (["meetings", "report", "--period", "week"], "--period 应为 month、quarter 或 year"),
    (["meetings", "report", "--format", "xlsx"], "xlsx 格式需要用 --output 指定文件"),
    (["meetings", "report", "--date", "2026-13-01"], "--date「2026-13-01」应为 YYYY-MM-DD"),
])
def test_bad_input_is_refused_with_a_clear_message_and_nothing_stored(branch: Path, tmp_path: Path, args,
                                                                      message) -> None:
    result = invoke(branch, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert stored(tmp_path, ScheduledPush) == [] and stored(tmp_path, MeetingRow) == []


def test_cancelling_what_does_not_exist_exits_1(branch: Path) -> None:
    assert invoke(branch, "push", "cancel", "7").exit_code == 1
    result = invoke(branch, "meetings", "cancel", "7")
    assert result.exit_code == 1 and "没有编号为 7 的会议" in result.output


def test_meetings_add_list_cancel(branch: Path, tmp_path: Path) -> None:
    added = invoke(branch, "meetings", "add", "支委会", "2027-03-02", "14:30", "三楼会议室", "学习党章",
                   "--branch", "第一党支部")
    assert added.exit_code == 0, added.output
    assert added.output.startswith("已安排：[1] 3月2日（周二）14:30 支部委员会会议，三楼会议室，主题：学习党章")
    listed = invoke(branch, "meetings", "list", "--branch", "第一党支部")
    assert listed.output.strip() == "[1] 3月2日（周二）14:30 支部委员会会议，三楼会议室，主题：学习党章"
    sunday = invoke(branch, "meetings", "add", "党课", "2027-03-07", "15:00", "--branch", "第一党支部")
    assert "注意：2027-03-07 是周日，不是工作日，请确认。" in sunday.output  # a warning, not a refusal
    cancelled = invoke(branch, "meetings", "cancel", "2")
    assert cancelled.exit_code == 0 and cancelled.output.startswith("已取消党课（编号 2）")
    assert [m.cancelled_at is None for m in stored(tmp_path, MeetingRow)] == [True, False]


def test_meetings_report_counts_held_meetings_and_attendance(branch: Path, tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    with db.session() as session:
        zhang = session.exec(select(Member).where(Member.name == "张三")).one()
        for member in session.exec(select(Member)):  # a 支委会 expects the 支部委员: both are
            member.role = "secretary" if member.name == "张三" else "committee"
            session.add(member)
        meeting = MeetingRow(branch_id=zhang.branch_id, type_key="committee", start_at=datetime(2026, 10, 9, 14, 30),
                             created_at=datetime(2026, 10, 1, 9, 0))
        session.add(meeting)
        session.flush()
        session.add(AttendanceRow(meeting_id=meeting.id, member_id=zhang.id, signed_at=datetime(2026, 10, 9, 14, 20)))
        session.commit()
    db.dispose()
    result = invoke(branch, "meetings", "report", "--period", "quarter", "--date", "2026-10-15", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["type"]: r for r in json.loads(result.output)}
    # two 正式党员 (no 党员类别 counts as 正式): no 支部委员会, so none required; the one held still counts
    assert rows["支部委员会会议"] == {"branch": "第一党支部", "type": "支部委员会会议", "period": "2026年第四季度",
                                "held": 1, "required": 0, "behind": False, "attendance_rate": 0.5,
                                "pending": 0, "leave": 0, "quorum_problems": 0}
    assert rows["支部党员大会"]["held"] == 0 and rows["支部党员大会"]["attendance_rate"] is None
    out = tmp_path / "report.xlsx"
    saved = invoke(branch, "meetings", "report", "--date", "2026-10-15", "--output", str(out), "--format", "xlsx")
    assert saved.exit_code == 0, saved.output
    sheet = load_workbook(out).active
    assert [c.value for c in sheet[1]] == ["支部", "会议类型", "期间", "已开", "应开", "达标", "出勤率", "待补记录",
                                           "请假人次", "不足法定人数"]
    assert sheet.max_row == 8  # the six types and 书记讲党课
    table = invoke(branch, "meetings", "report", "--date", "2026-10-15")
    assert "三会一课开展情况" in table.output and "支部委员会会议" in table.output


def test_reload_reads_the_plans_and_is_idempotent(branch: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("plans:\n  - name: 周一\n    when: 每周一 09:00\n    to: [第一党支部]\n"
                    "    items: [02-sanhui-yike]\n",
                    encoding="utf-8")
    branch.write_text(branch.read_text(encoding="utf-8") + f"content:\n  plans: [{plan}]\n", encoding="utf-8")
    first = invoke(branch, "reload")
    assert first.exit_code == 0 and "新增 1 项，修改 0 项，删除 0 项；共 1 项计划" in first.output, first.output
    again = invoke(branch, "reload")
    assert "新增 0 项，修改 0 项，删除 0 项" in again.output
    plan.write_text(plan.read_text(encoding="utf-8").replace("每周一", "每周二"), encoding="utf-8")
    assert "新增 0 项，修改 1 项，删除 0 项" in invoke(branch, "reload").output
    plan.write_text("plans: []\n", encoding="utf-8")
    assert "新增 0 项，修改 0 项，删除 1 项；共 0 项计划" in invoke(branch, "reload").output


def test_chat_beside_a_configured_service_leaves_the_scheduled_jobs_to_it(cli_config: Path, tmp_path: Path) -> None:
    cli_config.write_text(cli_config.read_text(encoding="utf-8")
                          + "dingtalk:\n  client_id: ding-id\n  client_secret: ding-secret\n", encoding="utf-8")
    result = runner.invoke(build_cli(), ["chat", "--config", str(cli_config)], input="帮助\n/exit\n")
    assert result.exit_code == 0, result.output
    assert "定时推送、会议提醒由 studybot run 负责" in result.output
    assert "👋 我是学习助手" in result.output
