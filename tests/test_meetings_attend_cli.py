"""`studybot meetings attend`: the administrators' 补记 for any branch's meeting, and its audit trail (--history);
what is printed, the exit code, and what is stored."""

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
from bot.storage.models import AttendanceRow, MeetingRow, Member, PointsEntry
from bot.storage.models_records import AttendanceChange
from bot.storage.people import upsert_member

runner = CliRunner()
START = datetime(2026, 10, 9, 14, 30)
LATER = datetime(2026, 10, 12, 10, 0)
TITLE = "支部委员会会议（编号 1，10月9日 14:30）"


def invoke(config: Path, *args: str, now: datetime = LATER):
    return runner.invoke(build_cli(), ["meetings", "attend", *args, "--config", str(config)],
                         obj=CliContext(ManualClock(now)))


@pytest.fixture
def meeting(cli_config: Path, tmp_path: Path) -> Path:
    """第二党支部's 支委会 (编号 1) of 10月9日, with 张三 and 李四 (委员) on its roster; 王五 is in 第一党支部."""
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    db.create_schema()
    with db.session() as session:
        first = get_or_create_branch(session=session, name="第一党支部").id
        second = get_or_create_branch(session=session, name="第二党支部").id
        for name, branch_id, role in (("张三", second, "committee"), ("李四", second, "committee"),
                                      ("王五", first, "member"), ("赵六", second, "member")):
            upsert_member(session=session, name=name, branch_id=branch_id, role=role, identities={}, now=START)
        session.add(MeetingRow(branch_id=second, type_key="committee", start_at=START, created_at=START))
        session.commit()
    db.dispose()
    return cli_config


def stored(tmp_path: Path, model) -> list:
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    with db.session() as session:
        rows = list(session.exec(select(model)))
    db.dispose()
    return rows


def test_present_for_someone_the_meeting_does_not_expect_is_an_observer_without_points(meeting: Path,
                                                                                      tmp_path: Path) -> None:
    """赵六 is an ordinary member: at a 支委会 he can only be 列席, whether he signs in or is recorded."""
    done = invoke(meeting, "1", "赵六")
    assert done.exit_code == 0, done.output
    assert done.output == (f"✅ 已补记{TITLE}：\n"
                           "· 赵六：列席（原为缺席；不在本次会议应到人员中，记为列席，不计积分）\n")
    assert [(row.status, row.recorded_by) for row in stored(tmp_path, AttendanceRow)] == [("observer", "命令行")]
    assert stored(tmp_path, PointsEntry) == []


def test_attend_records_and_the_history_shows_every_change(meeting: Path, tmp_path: Path) -> None:
    done = invoke(meeting, "1", "张三", "李四")
    assert done.exit_code == 0, done.output
    assert done.output == (f"✅ 已补记{TITLE}：\n· 张三：出席（原为缺席），获得 5 分\n"
                           "· 李四：出席（原为缺席），获得 5 分\n")
    again = invoke(meeting, "1", "张三")
    assert again.exit_code == 0 and again.output == "张三 已记为出席，没有改动。\n"
    fixed = invoke(meeting, "1", "李四", "--status", "absent", "--reason", "误记", now=datetime(2026, 10, 13, 9, 0))
    assert fixed.output == f"✅ 已补记{TITLE}：\n· 李四：缺席（原为出席），原因：误记，扣回 5 分\n"
    observer = invoke(meeting, "1", "王五", "--status", "observer")
    assert observer.output == f"✅ 已补记{TITLE}：\n· 王五：列席（原为缺席）\n"
    assert [(r.status, r.recorded_by) for r in stored(tmp_path, AttendanceRow)] == [
        ("present", "命令行"), ("observer", "命令行")]
    assert sorted(p.amount for p in stored(tmp_path, PointsEntry)) == [-5, 5, 5]
    assert [(c.old_status, c.new_status, c.changed_by) for c in stored(tmp_path, AttendanceChange)] == [
        ("", "present", "命令行"), ("", "present", "命令行"), ("present", "", "命令行"), ("", "observer", "命令行")]
    history = invoke(meeting, "1", "--history")
    assert history.exit_code == 0, history.output
    assert history.output == (
        f"第二党支部 {TITLE}出勤变更记录（4 条）：\n"
        "2026-10-12 10:00 张三：缺席 → 出席（命令行）\n"
        "2026-10-12 10:00 李四：缺席 → 出席（命令行）\n"
        "2026-10-13 09:00 李四：出席 → 缺席（误记，命令行）\n"
        "2026-10-12 10:00 王五：缺席 → 列席（命令行）\n")


def test_attend_leave_needs_a_reason_and_is_stored_with_it(meeting: Path, tmp_path: Path) -> None:
    refused = invoke(meeting, "1", "李四", "--status", "leave")
    assert refused.exit_code == 2 and "请写明请假原因" in refused.output
    done = invoke(meeting, "1", "李四", "--status", "leave", "--reason", "出差")
    assert done.output == f"✅ 已补记{TITLE}：\n· 李四：请假（原为缺席），原因：出差\n"
    assert [(r.status, r.reason) for r in stored(tmp_path, AttendanceRow)] == [("leave", "出差")]


def test_an_empty_history_says_so(meeting: Path) -> None:
    result = invoke(meeting, "1", "--history")
    assert result.exit_code == 0 and result.output == f"第二党支部 {TITLE}还没有出勤记录。\n"


@pytest.mark.parametrize("args, code, message", [
    (["1", "王五"], 2, "第二党支部的花名册中没有：王五（在第一党支部，如为列席请写：列席 王五）。没有补记任何人"),
    (["1", "张散"], 2, "第二党支部的花名册中没有：张散（是不是「张三」？）。没有补记任何人，请核对姓名后重发。"),
    (["1", "张三", "--status", "late"], 2, "--status「late」应为 present、leave、observer 或 absent"),
    (["1"], 2, "请写要补记的党员姓名，例如：studybot meetings attend 1 张三 李四"),
    (["一", "张三"], 2, "会议编号应为数字"),
    (["7", "张三"], 1, "没有编号为 7 的会议。编号见 studybot meetings list --branch 支部"),
])
def test_bad_input_is_refused_and_nothing_is_stored(meeting: Path, tmp_path: Path, args: list[str], code: int,
                                                    message: str) -> None:
    result = invoke(meeting, *args)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert stored(tmp_path, AttendanceRow) == [] and stored(tmp_path, AttendanceChange) == []
    assert stored(tmp_path, PointsEntry) == []


def test_a_meeting_yet_to_start_is_refused(meeting: Path, tmp_path: Path) -> None:
    result = invoke(meeting, "1", "张三", now=datetime(2026, 10, 9, 9, 0))
    assert result.exit_code == 2
    assert f"{TITLE}还没有开始，开始后才能补记。" in result.output
    assert stored(tmp_path, AttendanceRow) == [] and len(stored(tmp_path, Member)) == 4
