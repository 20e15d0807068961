"""三会一课 on the dashboard (/meetings, /meetings/{id}): the grid equals `studybot meetings report` for every month
and quarter of the year, the colours, a meeting's record with its attendees and statuses (补记 by whom), the exports,
and who may see what (the five viewers of tests/test_web_pages.py)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.app import App
from bot.cli import build_cli
from bot.cli.common import CliContext
from bot.clock import ManualClock
from bot.services.meeting_grid import meeting_grid
from bot.storage.branches import get_or_create_branch
from bot.storage.models import AttendanceRow, MeetingRow, Member
from bot.storage.models_records import AttendanceChange, MinutesRow
from tests.test_web_pages import VIEWERS, client_as
from tests.web_helpers import branch_ids, login, web_app

NOW = datetime(2026, 3, 4, 10, 0)
ALL_MANAGERS = {"admin": 200, "secretary A": 200, "secretary B": 200, "member": 403, "logged out": 401}
ONLY_A = {"admin": 200, "secretary A": 200, "secretary B": 403, "member": 403, "logged out": 401}
ONLY_A_404 = {"admin": 200, "secretary A": 200, "secretary B": 404, "member": 403, "logged out": 401}
MATRIX = [("/meetings", ALL_MANAGERS), ("/meetings?period=quarter&year=2025", ALL_MANAGERS),
          ("/meetings/export.xlsx", ALL_MANAGERS), ("/meetings/export.csv?period=quarter", ALL_MANAGERS),
          ("/meetings/ledger/export.csv", ALL_MANAGERS),
          ("/meetings?branch={A}", ONLY_A), ("/meetings/export.csv?branch={A}", ONLY_A),
          ("/meetings/ledger/export.xlsx?branch={A}", ONLY_A), ("/meetings/{M}", ONLY_A_404)]


def meeting(app: App, branch: str, type_key: str, start: datetime, *, present: tuple[str, ...] = (),
            leave: tuple[str, ...] = (), chair: str | None = None, topic: str = "", by: str = "") -> int:
    with app.db.session() as session:
        row = MeetingRow(branch_id=get_or_create_branch(session=session, name=branch).id, type_key=type_key,
                         start_at=start, created_at=start, place="三楼会议室", topic=topic, created_by="张书记")
        session.add(row)
        session.flush()
        people = {m.name: m.id for m in session.exec(select(Member))}
        for status, names in (("present", present), ("leave", leave)):
            for name in names:
                session.add(AttendanceRow(meeting_id=row.id, member_id=people[name], signed_at=start, status=status,
                                          reason="出差" if status == "leave" else "", recorded_by=by))
        if chair is not None:
            session.add(MinutesRow(meeting_id=row.id, chair=chair, recorder="张三", agenda=topic,
                                   content="学习党章第一章\n讨论发展党员", decisions="=SUM(A1)", recorded_by="张书记",
                                   recorded_at=start, updated_at=start))
        session.commit()
        assert row.id is not None
        return row.id


@pytest.fixture
def app(tmp_path: Path) -> App:
    return add_meetings(web_app(tmp_path, ManualClock(NOW)))


def add_meetings(app: App) -> App:
    """第一支部 (张书记, 张三, 李四): a 主题党日 in January, a 党员大会 in February (李四 on leave, minutes), a 党课
    this March still without a record; 第二支部 (王书记, 钱七): a 主题党日 in February."""
    meeting(app, "第一支部", "theme_day", datetime(2026, 1, 10, 9, 0), present=("张三", "李四"))
    assembly = meeting(app, "第一支部", "general_assembly", datetime(2026, 2, 15, 14, 30), present=("张书记",),
                       leave=("李四",), chair="张书记", topic="学习党章")
    with app.db.session() as session:  # 张三 补记 by the 书记 after the meeting
        zhang = session.exec(select(Member).where(Member.name == "张三")).one()
        session.add(AttendanceRow(meeting_id=assembly, member_id=zhang.id, signed_at=datetime(2026, 2, 16, 9, 0),
                                  status="present", reason="会后补签", recorded_by="张书记"))
        session.add(AttendanceChange(meeting_id=assembly, member_id=zhang.id, old_status="", new_status="present",
                                     reason="会后补签", changed_by="张书记", changed_at=datetime(2026, 2, 16, 9, 0)))
        session.commit()
    meeting(app, "第一支部", "lecture", datetime(2026, 3, 2, 15, 0), topic="党课：守初心")
    meeting(app, "第二支部", "theme_day", datetime(2026, 2, 5, 9, 0), present=("钱七",))
    return app


def first_meeting(app: App, type_key: str) -> int:
    with app.db.session() as session:
        row = session.exec(select(MeetingRow).where(MeetingRow.type_key == type_key)).first()
        assert row is not None and row.id is not None
        return row.id


@pytest.mark.parametrize("who", list(VIEWERS))
def test_role_matrix(app: App, who: str) -> None:
    client = client_as(app, who)
    fill = {"A": branch_ids(app)["第一支部"], "M": first_meeting(app, "general_assembly")}
    for url, expected in MATRIX:
        response = client.get(url.format(**fill))
        assert response.status_code == expected[who], (url, who)
        if response.status_code != 200:
            assert "李四" not in response.text and "学习党章" not in response.text


def test_a_secretary_sees_only_their_branch(app: App) -> None:
    client = login(app, "王书记")
    page = client.get("/meetings").text
    assert "第二支部" in page and "第一支部" not in page
    exported = client.get("/meetings/export.csv").content.decode("utf-8-sig")
    assert "第二支部" in exported and "第一支部" not in exported
    ledger = client.get("/meetings/ledger/export.csv").content.decode("utf-8-sig")
    assert "钱七" in ledger and "李四" not in ledger
    assert client.get(f"/meetings/{first_meeting(app, 'lecture')}").status_code == 404
    assert client.get("/meetings/abc").status_code == 404 and client.get("/meetings?year=19").status_code == 400


@pytest.mark.parametrize("period", ["month", "quarter"])
def test_the_grid_equals_studybot_meetings_report(app: App, cli_config: Path, period: str) -> None:
    """Every period of the year: the export's rows are the report's rows for a day of that period."""
    book = openpyxl.load_workbook(io.BytesIO(login(app, "老周").get(f"/meetings/export.xlsx?period={period}").content))
    exported = [list(r) for r in book.active.iter_rows(min_row=2, values_only=True)]
    with app.db.session() as session:
        cells, _ = meeting_grid(app.schedule.attendance.reports, session, period=period, year=2026, now=NOW,
                                branch_ids=None)
    days = sorted({c.period.day(NOW.date()) for c in cells})
    assert len(days) == (12 if period == "month" else 4)
    expected = []
    for day in days:
        result = CliRunner().invoke(build_cli(), ["meetings", "report", "--period", period, "--date", day.isoformat(),
                                                  "-f", "json", "--config", str(cli_config)],
                                    obj=CliContext(ManualClock(NOW)))
        assert result.exit_code == 0, result.output
        expected += json.loads(result.stdout)
    by_key = {(r["branch"], r["type"], r["period"]): r for r in expected}
    assert len(by_key) == len(exported) == len(expected)
    for row in exported:
        r = by_key[(row[0], row[1], row[2])]
        met = "是" if r["held"] >= r["required"] else "否" if r["behind"] else "未到期"
        rate = None if row[6] is None else round(row[6], 3)
        assert [row[3], row[4], row[5], rate, *row[7:]] == [
            r["held"], r["required"], met, r["attendance_rate"], r["pending"], r["leave"], r["quorum_problems"]]


def test_grid_colours_and_the_ledger(app: App) -> None:
    page = login(app, "张书记").get("/meetings").text
    table = page.split("<tbody>")[1].split("</tbody>")[0]
    rows = {re.search(r'<th class="sticky">([^<]+)</th>', r)[1]: re.findall(r'class="cell (\w+)"', r)  # type: ignore[index]
            for r in table.split("</tr>") if "sticky" in r}
    assert rows["主题党日"][:3] == ["green", "red", "amber"]  # held in Jan; none in Feb (over); March still running
    assert rows["党课"][2] == "amber" and "待补1" in table  # March's 党课 awaits its record
    assert set(rows["主题党日"][3:]) == {"none"}  # months to come
    assert "2026年会议台账" in page and "待补记录" in page and "/meetings/" in page
    quarters = login(app, "张书记").get("/meetings?period=quarter").text
    assert "第一季度" in quarters and "3月" not in quarters


def test_a_meeting_record_shows_attendees_statuses_and_minutes(app: App) -> None:
    page = login(app, "张书记").get(f"/meetings/{first_meeting(app, 'general_assembly')}").text
    assert "第一支部 支部党员大会" in page and "2026-02-15 14:30" in page and "三楼会议室" in page
    assert "学习党章第一章\n讨论发展党员" in page and "主持人" in page and "张书记" in page
    people = {m[0]: m[1:] for m in re.findall(
        r"<tr class=\"status-[^\"]+\"><td>([^<]+)</td><td>([^<]+)</td><td>([^<]*)</td><td>([^<]*)</td>", page)}
    assert people["张书记"] == ("出席", "本人签到", "")
    assert people["张三"] == ("出席", "补记（张书记）", "会后补签")
    assert people["李四"] == ("请假", "本人请假", "出差")
    assert "缺席 → 出席" in page and "会后补签，张书记" in page  # who recorded what, and when
    assert "=SUM(A1)" in page and "已召开" in page
    pending = login(app, "老周").get(f"/meetings/{first_meeting(app, 'lecture')}").text
    assert "待补记录" in pending and "尚未填写会议记录" in pending and "缺席" in pending


def test_exports_are_audited_and_escaped(app: App) -> None:
    client = login(app, "老周")
    ledger = client.get(f"/meetings/ledger/export.csv?branch={branch_ids(app)['第一支部']}")
    assert ledger.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(ledger.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["编号", "支部", "日期", "会议类型"] and len(rows) == 4
    assembly = next(r for r in rows if r[3] == "支部党员大会")
    assert assembly[7:11] == ["张书记、张三", "李四", "", ""] and assembly[12] == "已召开"
    book = openpyxl.load_workbook(io.BytesIO(client.get("/meetings/ledger/export.xlsx").content))
    assert book.active.max_row == 5  # three meetings of 第一支部, one of 第二支部
    assert "三会一课" in client.get("/audit").text
