"""The overdue notice and the warning as the secretary receives them, 会议统计, `studybot meetings report` as a
table, JSON and the xlsx 台账, and the 党委's 中心组 meetings (bot/services/meeting_report.py, meeting_notices.py,
bot/cli/meetings_report.py)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.cli.common import CliContext
from bot.clock import ManualClock
from bot.storage.branches import get_or_create_branch
from bot.storage.models import AttendanceRow, MeetingRow, Member, OutboxRow
from bot.storage.models_records import MinutesRow
from tests.helpers import enrol, group_msg, make_app

runner = CliRunner()
NINE = ["张三", "李四", "王五", "赵六", "孙七", "周八", "吴九", "郑十", "钱一"]


def invoke(config: Path, now: datetime, *args: str):
    return runner.invoke(build_cli(), [*args, "--config", str(config)], obj=CliContext(ManualClock(now)))


def roster(app, branch: str, people: list[str], *, groups: dict[str, str] | None = None,
           category: str = "full") -> None:
    """`people` in `branch`, the first its 书记; 党员类别, 党小组 as helper A's roster columns will fill them."""
    enrol(app, people[0], *people[1:], branch=branch)
    with app.db.session() as session:
        for m in session.exec(select(Member).where(Member.name.in_(people))):  # type: ignore[attr-defined]
            m.category, m.party_group = category, (groups or {}).get(m.name, "")
            m.position = "书记" if m.name == people[0] else ""
            session.add(m)
        session.commit()


def meeting(app, branch: str, type_key: str, start: datetime, *, present=(), leave=(), observer=(),
            party_group: str = "", chair: str | None = None, place: str = "", topic: str = "") -> int:
    with app.db.session() as session:
        row = MeetingRow(branch_id=get_or_create_branch(session=session, name=branch).id, type_key=type_key,
                         start_at=start, created_at=start, place=place, topic=topic, party_group=party_group)
        session.add(row)
        session.flush()
        ids = {m.name: m.id for m in session.exec(select(Member))}
        for status, names in (("present", present), ("leave", leave), ("observer", observer)):
            for name in names:
                session.add(AttendanceRow(meeting_id=row.id, member_id=ids[name], signed_at=start, status=status))
        if chair is not None:
            session.add(MinutesRow(meeting_id=row.id, chair=chair, recorded_at=start, updated_at=start))
        session.commit()
        return row.id


def notices(app) -> list[str]:
    with app.db.session() as session:
        return [r.text for r in session.exec(select(OutboxRow).where(OutboxRow.kind == "notice")
                                             .order_by(OutboxRow.id))]


# ---- the notices

def test_the_first_working_day_notice_reports_last_months_missing_meeting(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 12, 1, 9, 0))
    app = make_app(tmp_path, clock)
    roster(app, "第一党支部", NINE)
    meeting(app, "第一党支部", "theme_day", datetime(2026, 11, 10, 9, 0), present=["张三"])
    meeting(app, "第一党支部", "committee", datetime(2026, 12, 1, 8, 0), present=["张三"])  # December's
    app.schedule.attendance.overdue_notice()
    [text] = notices(app)
    assert text.splitlines()[:2] == ["📋 第一党支部 三会一课提醒（2026-12-01）：",
                                     "· 2026年11月未召开支部委员会会议（要求 1 次，已开 0 次）"]
    assert "主题党日" not in text and "本月" not in text and "尚未" not in text
    app.schedule.attendance.overdue_notice()  # run again (a restart, a late run): nobody is told twice
    assert len(notices(app)) == 1
    app.close()


def test_a_week_before_the_month_ends_the_secretary_is_warned_once(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 11, 23, 9, 0))
    app = make_app(tmp_path, clock)
    roster(app, "第一党支部", NINE)
    app.schedule.attendance.warning_notice()
    assert notices(app) == []  # eight days left: not yet
    clock.set(datetime(2026, 11, 24, 9, 0))
    app.schedule.attendance.warning_notice()
    clock.set(datetime(2026, 11, 25, 9, 0))
    app.schedule.attendance.warning_notice()
    [text] = notices(app)
    assert text.splitlines()[:2] == ["⏳ 第一党支部 三会一课提醒（2026-11-24）：本月还剩 7 天，以下会议尚未完成：",
                                     "· 本月尚未召开支部委员会会议（要求 1 次，已开 0 次）"]
    assert "组织生活会" not in text  # a year's meeting is warned of in December
    app.close()


# ---- 会议统计 and the report

def seeded(tmp_path: Path):
    """第一党支部: nine 正式党员 in two 党小组; 第二党支部: three. A quarter of meetings."""
    app = make_app(tmp_path, ManualClock(datetime(2026, 12, 20, 9, 0)))
    roster(app, "第一党支部", NINE, groups={n: ("第一小组" if i < 5 else "第二小组") for i, n in enumerate(NINE)})
    roster(app, "第二党支部", ["周书记", "陈二", "林三"])
    meeting(app, "第一党支部", "general_assembly", datetime(2026, 10, 9, 14, 30), present=NINE[:4],
            leave=["孙七"], observer=["陈二"], place="三楼会议室", topic="学习党章")
    meeting(app, "第一党支部", "lecture", datetime(2026, 11, 5, 15, 0), present=NINE, chair="张三")
    meeting(app, "第一党支部", "group", datetime(2026, 11, 6, 15, 0), present=NINE[:5], party_group="第一小组")
    meeting(app, "第二党支部", "theme_day", datetime(2026, 10, 20, 9, 0), present=["周书记", "陈二", "林三"])
    return app


def test_stats_in_chat_show_pending_leave_and_quorum(tmp_path: Path) -> None:
    app = seeded(tmp_path)
    [reply] = app.handle(group_msg("张三", "会议统计", at=app.clock.now()))
    lines = reply.text.splitlines()
    assert lines[0] == "📊 第一党支部 2026年第四季度三会一课："
    assert "⚠️ 支部党员大会：已开 1 次 / 应开 1 次" not in lines
    assert "✅ 支部党员大会：已开 1 次 / 应开 1 次，出勤率 44%，请假 1 人次，1 次不足法定人数" in lines
    assert "⚠️ 党小组会：已开 1 次 / 应开 6 次，出勤率 100%" in lines  # two 小组 × three months
    assert "✅ 书记讲党课：已开 1 次 / 应开 1 次" in lines
    app.close()


def test_report_as_json_and_table_per_branch_and_type(tmp_path: Path, cli_config: Path) -> None:
    seeded(tmp_path).close()
    now = datetime(2026, 12, 20, 9, 0)
    result = invoke(cli_config, now, "meetings", "report", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {(r["branch"], r["type"]): r for r in json.loads(result.output)}
    assert rows[("第一党支部", "支部党员大会")] == {
        "branch": "第一党支部", "type": "支部党员大会", "period": "2026年第四季度", "held": 1, "required": 1,
        "behind": False, "attendance_rate": 0.444, "pending": 0, "leave": 1, "quorum_problems": 1}
    assert rows[("第二党支部", "支部委员会会议")]["required"] == 0  # three 正式党员: no 支委会
    assert ("第一党支部", "理论学习中心组学习") not in rows
    month = invoke(cli_config, now, "meetings", "report", "--period", "month", "--date", "2026-11-15", "-f", "json")
    monthly = {(r["branch"], r["type"]): r for r in json.loads(month.output)}
    assert monthly[("第一党支部", "党小组会")]["period"] == "2026年11月"
    assert (monthly[("第一党支部", "党小组会")]["held"], monthly[("第一党支部", "党小组会")]["required"]) == (1, 2)
    table = invoke(cli_config, now, "meetings", "report", "--output", str(tmp_path / "r.txt"))
    text = (tmp_path / "r.txt").read_text(encoding="utf-8")
    assert table.exit_code == 0 and "待补记录" in text and "不足法定人数" in text and "书记讲党课" in text


def test_report_xlsx_is_a_ledger_with_one_sheet_per_branch(tmp_path: Path, cli_config: Path) -> None:
    seeded(tmp_path).close()
    out = tmp_path / "台账.xlsx"
    result = invoke(cli_config, datetime(2026, 12, 20, 9, 0), "meetings", "report", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "2 个支部的台账，共 4 次会议" in result.output
    book = load_workbook(out)
    assert book.sheetnames == ["汇总", "第一党支部", "第二党支部"]
    sheet = book["第一党支部"]
    header = [c.value for c in sheet[1]]
    assert header == ["编号", "日期", "会议类型", "地点", "主题", "应到人数", "出席", "请假", "缺席", "列席",
                      "会议记录", "状态"]
    first = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert first["日期"] == "2026-10-09 14:30" and first["会议类型"] == "支部党员大会"
    assert (first["地点"], first["主题"], first["应到人数"]) == ("三楼会议室", "学习党章", 9)
    assert (first["出席"], first["请假"]) == ("张三、李四、王五、赵六", "孙七")
    assert first["缺席"] == "周八、吴九、郑十、钱一"
    assert first["列席"] == "陈二" and first["会议记录"] == "无" and first["状态"] == "已召开（不足法定人数）"
    group = dict(zip(header, [c.value for c in sheet[4]], strict=True))
    assert group["会议类型"] == "党小组会（第一小组）" and group["会议记录"] == "无"
    lecture = dict(zip(header, [c.value for c in sheet[3]], strict=True))
    assert lecture["会议记录"] == "有" and lecture["缺席"] is None
    assert [c.value for c in book["第二党支部"][2]][2] == "主题党日"
    assert sheet.page_setup.orientation == "landscape" and sheet.print_title_rows == "$1:$1"


# ---- the 党委's 中心组

def test_the_committees_study_group_is_arranged_signed_in_and_reported(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 11, 2, 9, 0))
    app = make_app(tmp_path, clock, meetings={"groups": {"中心组": ["张三", "王五"]}})
    roster(app, "第一党支部", ["张三", "李四", "钱管理"])
    roster(app, "第二党支部", ["王五", "赵六"])
    with app.db.session() as session:
        admin = session.exec(select(Member).where(Member.name == "钱管理")).one()
        admin.role = "admin"
        session.add(admin)
        session.commit()
    # in a chat, an admin arranges the 党委's meetings (a 书记 manages only the group of their own branch)
    [refused] = app.handle(group_msg("张三", "安排会议 中心组学习 2026-11-10 09:00", group="中心组", at=clock.now()))
    assert refused.text.startswith("抱歉，这个群属于其他支部")
    [arranged] = app.handle(group_msg("钱管理", "安排会议 中心组学习 2026-11-10 09:00 党委会议室 学习二十大精神",
                                      group="中心组", at=clock.now()))
    assert arranged.text.startswith("✅ 已安排理论学习中心组学习（编号 1）")
    clock.set(datetime(2026, 11, 10, 9, 0))
    [signed] = app.handle(group_msg("张三", "签到", group="中心组", at=clock.now()))
    assert signed.text.startswith("✅ 张三 已签到：理论学习中心组学习")
    [not_theirs] = app.handle(group_msg("李四", "签到", group="中心组", at=clock.now()))
    assert "没有需要签到的会议" in not_theirs.text  # not in the 中心组
    [report] = app.handle(group_msg("钱管理", "签到情况", group="中心组", at=clock.now()))
    assert report.text.splitlines()[1:] == ["已签到：张三", "未签到：王五"]
    clock.set(datetime(2026, 11, 20, 9, 0))
    with app.db.session() as session:
        rows = app.schedule.attendance.report(session, period="month", day=clock.now().date())
    body = [(r.branch, r.type, r.held, r.required, r.attendance_rate) for r in rows if r.branch == "中心组"]
    assert body == [("中心组", "理论学习中心组学习", 1, 1, 0.5)]
    assert not any(r.type == "理论学习中心组学习" for r in rows if r.branch != "中心组")
    app.close()


def test_meetings_add_on_the_command_line_for_a_body(tmp_path: Path, cli_config: Path) -> None:
    cli_config.write_text(cli_config.read_text(encoding="utf-8") + "meetings:\n  groups:\n    党委: [张三]\n",
                          encoding="utf-8")
    added = invoke(cli_config, datetime(2026, 11, 2, 9, 0), "meetings", "add", "党委会", "2026-11-12", "15:00",
                   "--branch", "党委")
    assert added.exit_code == 0, added.output
    assert added.output.startswith("已安排：[1] 11月12日（周四）15:00 党委会")
    unknown = invoke(cli_config, datetime(2026, 11, 2, 9, 0), "meetings", "add", "党委会", "2026-11-12", "15:00",
                     "--branch", "纪委")
    assert unknown.exit_code == 2 and "没有支部「纪委」" in unknown.output
