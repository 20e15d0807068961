"""The 三会一课 report read in one pass (bot/services/meeting_records.py): the roster facts grouped in SQL equal
MeetingReports.facts per branch and are grouped again only after the member table changed, several reports from
one read equal report() one by one, a read-only report (总览) writes no frozen 应到, and the 排行 .xlsx streamed by
lean_book_bytes holds the same sheet as rank_book."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import event
from sqlmodel import func, select

from bot.clock import ManualClock
from bot.services.meeting_records import facts_of
from bot.services.rank_table import BRANCH_COLUMNS, MEMBER_COLUMNS, rank_book, rank_xlsx
from bot.services.sheets import book_bytes
from bot.storage.branches import all_branches, get_or_create_branch
from bot.storage.models import Member
from bot.storage.models_records import ExpectedAttendee
from tests.helpers import make_app
from tests.test_meeting_reports import NINE, meeting, roster
from tests.web_helpers import login, web_app


def _mixed(app) -> None:
    """Branches unlike each other: a roster with 党小组 and a 书记 by position (written with spaces), one by role,
    members not on a roster beside rostered ones, a branch nobody is rostered in, an empty branch."""
    roster(app, "第三党支部", ["吴书记", "甲", "乙", "丙"], groups={"甲": "一组", "乙": " 二组 "},
           category="probationary")
    with app.db.session() as session:
        third = get_or_create_branch(session=session, name="第三党支部")
        for m in session.exec(select(Member).where(Member.branch_id == third.id)):
            m.position = " 书记 " if m.name == "吴书记" else m.position
            m.category = "full" if m.name in ("甲", "丙") else m.category
            m.rostered = m.name != "丙"
            session.add(m)
        loose = get_or_create_branch(session=session, name="第四党支部")
        for name, role in (("散一", "secretary"), ("散二", "member")):
            session.add(Member(name=name, branch_id=loose.id, role=role, created_at=app.clock.now()))
        get_or_create_branch(session=session, name="第五党支部")
        session.commit()


def _seeded(tmp_path: Path, database_url: str):
    """seeded()'s branches and meetings on `database_url` (SQLite, and PostgreSQL when the tests are given one)."""
    app = make_app(tmp_path, ManualClock(datetime(2026, 12, 20, 9, 0)), database={"url": database_url})
    roster(app, "第一党支部", NINE, groups={n: ("第一小组" if i < 5 else "第二小组") for i, n in enumerate(NINE)})
    roster(app, "第二党支部", ["周书记", "陈二", "林三"])
    meeting(app, "第一党支部", "general_assembly", datetime(2026, 10, 9, 14, 30), present=NINE[:4],
            leave=["孙七"], observer=["陈二"])
    meeting(app, "第一党支部", "lecture", datetime(2026, 11, 5, 15, 0), present=NINE, chair="张三")
    meeting(app, "第一党支部", "group", datetime(2026, 11, 6, 15, 0), present=NINE[:5], party_group="第一小组")
    meeting(app, "第二党支部", "theme_day", datetime(2026, 10, 20, 9, 0), present=["周书记", "陈二", "林三"])
    return app


def test_the_facts_read_in_bulk_are_each_branchs_facts(tmp_path: Path, database_url: str) -> None:
    app = _seeded(tmp_path, database_url)
    _mixed(app)
    reports = app.schedule.attendance.reports
    with app.db.session() as session:
        branches = all_branches(session=session)
        bulk = facts_of(session, branches, reports.bodies)
        one_by_one = {b.id: reports.facts(session, b) for b in branches}
    assert bulk == one_by_one
    assert one_by_one[branches[2].id].secretaries == ("吴书记",) and one_by_one[branches[3].id].secretaries
    assert one_by_one[branches[2].id].party_groups == ("一组", "二组")
    app.close()


def test_several_reports_from_one_read_are_the_reports_made_one_by_one(tmp_path: Path, database_url: str) -> None:
    app = _seeded(tmp_path, database_url)
    _mixed(app)
    meeting(app, "第三党支部", "committee", datetime(2026, 12, 3, 9, 0), present=["吴书记"], leave=["甲"])
    reports = app.schedule.attendance.reports
    asked = [("month", datetime(2026, 12, 20).date()), ("month", datetime(2026, 11, 30).date()),
             ("quarter", datetime(2026, 12, 20).date()), ("year", datetime(2026, 12, 20).date())]
    with app.db.session() as session:
        together = reports.reports(session, asked, freeze=False)
        assert session.exec(select(func.count()).select_from(ExpectedAttendee)).one() == 0  # read only
        apart = [reports.report(session, period=p, day=d) for p, d in asked]
        assert session.exec(select(func.count()).select_from(ExpectedAttendee)).one() > 0  # report() freezes
        again = reports.reports(session, asked, freeze=False)
    assert together == apart == again
    rows, ledger = together[2]
    assert [r.met for r in rows if r.branch == "第三党支部" and r.type == "支部委员会会议"]
    assert [r.leave for r in ledger["第三党支部"]] == [("甲",)]
    assert ledger["第一党支部"][0].observers == ("陈二",) and ledger["第一党支部"][0].present == tuple(NINE[:4])
    app.close()


def test_the_roster_is_grouped_again_only_once_the_member_table_changed_whoever_changed_it(
        tmp_path: Path, database_url: str) -> None:
    """总览 and 三会一课 remember the roster's facts until the database's count of member changes moves: a change
    made by plain SQL on another connection (an operator, another instance) shows at the next report."""
    app = _seeded(tmp_path, database_url)
    reports, day = app.schedule.attendance.reports, datetime(2026, 12, 20).date()
    grouped: list[str] = []

    def note(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        grouped.extend([statement] if "GROUP BY branch_id, rostered" in statement else [])

    event.listen(app.db.engine, "before_cursor_execute", note)
    with app.db.session() as session:
        first = reports.standings(session, [("month", day)])[0]
    with app.db.session() as session:
        assert reports.standings(session, [("month", day)])[0] == first
    assert len(grouped) == 1
    assert "党小组会" not in first["第二党支部"][0]
    with app.db.engine.begin() as conn:  # 第二党支部 now has a 党小组: its 党小组会 becomes due
        conn.exec_driver_sql("UPDATE member SET party_group = '一组' WHERE name IN ('陈二', '林三')")
    with app.db.session() as session:
        after = reports.standings(session, [("month", day)])[0]
    assert len(grouped) == 2
    assert "党小组会" in after["第二党支部"][0] and after["第一党支部"] == first["第一党支部"]
    app.close()


def test_the_overview_page_writes_nothing(tmp_path: Path) -> None:
    """总览 only reads: it used to freeze a meeting's 应到 the first time the page was opened after the meeting began
    (a write, and SQLite's write lock, from a GET; the answers wait for that lock)."""
    app = web_app(tmp_path)
    meeting(app, "第一支部", "committee", app.clock.now() - timedelta(days=1), present=["张书记"])
    client = login(app, "老周")
    written: list[str] = []

    def note(conn, cursor, statement, *args) -> None:
        if statement.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE", "SAVEPOINT", "REPLACE"):
            written.append(statement)

    event.listen(app.db.engine, "before_cursor_execute", note)
    page = client.get("/")
    event.remove(app.db.engine, "before_cursor_execute", note)
    assert page.status_code == 200 and "第一支部" in page.text
    assert written == []
    with app.db.session() as session:
        assert session.exec(select(func.count()).select_from(ExpectedAttendee)).one() == 0
    app.close()


def _sheet(body: bytes) -> tuple:
    sheet = load_workbook(BytesIO(body)).active
    cells = [[(c.value, c.number_format if c.value is not None and c.row > 1 else None, c.font.b) for c in row]
             for row in sheet.iter_rows()]
    # the width Excel shows: XlsxWriter stores Excel's own padded width (20 is written 20.71, as Excel itself does)
    # and one range for neighbouring columns of the same width
    widths = {get_column_letter(i): int(d.width) for d in sheet.column_dimensions.values() if d.width
              for i in range(d.min, d.max + 1)}
    return sheet.title, sheet.freeze_panes, cells, widths


def test_the_lean_ranking_xlsx_is_the_same_sheet_as_rank_book() -> None:
    members = [{"rank": i, "name": f"=成员{i}", "branch": "第一党支部", "points": 100 - i} for i in range(1, 40)]
    branches = [{"rank": 1, "name": "第一党支部", "members": 9, "participants": 4, "total_points": 120,
                 "average_points": 13.33, "participation_rate": 0.4444}]
    for records, columns, kind in ((members, MEMBER_COLUMNS, "个人"), (branches, BRANCH_COLUMNS, "支部")):
        lean = _sheet(rank_xlsx(records, columns, kind))
        assert lean == _sheet(book_bytes(rank_book(records, columns, kind)))
        assert lean[0] == f"{kind}排行"
    assert _sheet(rank_xlsx(members, MEMBER_COLUMNS, "个人"))[2][1][1][0] == "=成员1"  # text, not a formula
