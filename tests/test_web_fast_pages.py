"""What the issue-17 speed work changed, seen by a user: 总览's week totals kept between requests yet new points
shown at once, its 三会一课 flags from MeetingReports.standings (the same as the reports' rows), only branches to
act on listed; the 三会一课 grid ten branches a page with every branch still in its export."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

from bot.clock import ManualClock
from bot.storage.branches import get_or_create_branch
from bot.storage.models import Member
from bot.storage.points import award_points
from tests.test_web_meetings import add_meetings
from tests.test_web_pages import NOW, seeded
from tests.web_helpers import ids, login, web_app


def test_new_points_show_on_the_overview_at_once(tmp_path: Path) -> None:
    app = seeded(tmp_path)
    admin = login(app, "老周")
    assert "答题 75" in admin.get("/").text.split("本月")[1]
    assert "答题 75" in admin.get("/").text.split("本月")[1]  # the second request: the kept totals
    with app.db.session() as session:
        award_points(session=session, member_id=ids(app)["李四"], amount=6, reason="contest", source="test:more",
                     now=NOW)
        session.commit()
    page = admin.get("/").text
    assert "答题 81" in page.split("本月")[1] and "答题 81" in page.split("本周")[1]
    chart = json.loads(re.search(r'id="points-data">([^<]+)</script>', page)[1])  # type: ignore[index]
    assert next(s for s in chart["series"] if s["name"] == "答题")["data"][-1] == 81


def test_the_overview_lists_only_branches_to_act_on(tmp_path: Path) -> None:
    app = seeded(tmp_path)
    page = login(app, "老周").get("/").text
    flags = page.split("三会一课（上月与本期）")[1].split("</section>")[0]
    assert 'href="/meetings"' in flags and "查看全部支部的三会一课" in flags
    assert "第一支部" in flags and "第二支部" in flags  # nothing held in February: both red
    assert "正常</td>" not in flags


def test_standings_are_the_reports_behind_and_pending(tmp_path: Path) -> None:
    app = add_meetings(web_app(tmp_path, ManualClock(datetime(2026, 3, 4, 10, 0))))
    reports = app.schedule.attendance.reports
    for day in (date(2026, 3, 4), date(2026, 2, 28), date(2026, 1, 31)):
        asked = [("month", day), ("month", day.replace(day=1) - timedelta(days=1))]
        with app.db.session() as session:
            standings = reports.standings(session, asked)
            full = reports.reports(session, asked, freeze=False)
        for mine, (rows, _) in zip(standings, full, strict=True):
            expected: dict[str, tuple[tuple[str, ...], int]] = {}
            for row in rows:
                behind, pending = expected.get(row.branch, ((), 0))
                expected[row.branch] = (behind + ((row.type,) if row.behind else ()), pending + row.pending)
            assert mine == expected, day


def test_the_meetings_grid_is_paged_and_its_export_whole(tmp_path: Path) -> None:
    app = add_meetings(web_app(tmp_path, ManualClock(datetime(2026, 3, 4, 10, 0))))
    with app.db.session() as session:
        for n in range(1, 12):
            get_or_create_branch(session=session, name=f"新建第{n:02d}支部")
        session.commit()
    admin = login(app, "老周")
    first, second = admin.get("/meetings").text, admin.get("/meetings?page=2").text
    grids = [re.findall(r'<table class="grid">', page) for page in (first, second)]
    assert [len(g) for g in grids] == [10, 4]  # the fixture's 3 and 11 new
    assert "第 1/2 页" in first and "下一页" in first and "上一页" in second and "第 2/2 页" in second
    assert admin.get("/meetings?page=99").text.count('<table class="grid">') == 4  # the last page
    assert admin.get("/meetings?page=abc").text.count('<table class="grid">') == 10
    exported = admin.get("/meetings/export.csv").content.decode("utf-8-sig")
    assert all(f"新建第{n:02d}支部" in exported for n in range(1, 12)) and "第一支部" in exported
    # a secretary's one branch: no pager
    assert "下一页" not in login(app, "张书记").get("/meetings").text


def test_the_overview_lists_thirty_flagged_branches_and_counts_all(tmp_path: Path) -> None:
    app = seeded(tmp_path)
    people = ids(app)
    with app.db.session() as session:
        for n in range(40):  # a branch with a member and no meetings: behind last month (red)
            branch = get_or_create_branch(session=session, name=f"新建第{n:02d}支部")
            session.add(Member(name=f"新党员{n:02d}", branch_id=branch.id, created_at=NOW))
        session.commit()
    assert people  # the seeded members are still there
    flags = login(app, "老周").get("/").text.split("三会一课（上月与本期）")[1].split("</section>")[0]
    red = re.search(r"未达要求 (\d+) 个支部，需关注 (\d+) 个，按要求开展 (\d+) 个", flags)
    assert red is not None and int(red[1]) + int(red[2]) >= 42
    assert flags.count('<tr class="flag-') == 30 and f"另有 {int(red[1]) + int(red[2]) - 30} 个支部未列出" in flags
