"""支部 and 成员 on seeded data: the branch's members with the points `studybot rank` gives for the same period,
answers, 已学 and attendance; its meetings and groups; a member's ledger in 积分明细's words, contests, 错题 and
meetings; every table's .xlsx equal to its .csv and to the screen; links from 排行 and 总览; and the role matrix
over these pages and exports for the 5 viewers (the scope is in the SQL: out of scope is 403/404 with no data)."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.app import App
from bot.cli import build_cli
from bot.cli.common import CliContext
from bot.clock import ManualClock
from bot.storage.models import AttendanceRow, ChatGroup, ContestAnswer, ContestRow, MeetingRow, MistakeRow
from bot.storage.points import award_points
from tests.test_web_pages import NOW, VIEWERS, client_as, seeded
from tests.web_helpers import branch_ids, ids, login

MEETING = datetime(2026, 3, 2, 19, 0)  # this week's 支部党员大会 of 第一支部


def with_records(app: App) -> App:
    """seeded() plus, in 第一支部: a group, a contest 张三 answered (2 of 3 right, 20 points), a wrong answer in his
    错题本, a 支部党员大会 on Monday (张三 出席, 李四 请假, 张书记 absent) with 10 points for 张三 as 组织生活, and a
    党课 next week; 第二支部 has a group of its own."""
    people, branches = ids(app), branch_ids(app)
    with app.db.session() as session:
        group = ChatGroup(channel="wecom", external_id="g1", name="第一支部学习群", branch_id=branches["第一支部"])
        other = ChatGroup(channel="dingtalk", external_id="g2", name="第二支部群", branch_id=branches["第二支部"])
        session.add_all([group, other])
        session.flush()
        assert group.id is not None
        contest = ContestRow(group_id=group.id, bank="党章知识", question_keys='["a", "b", "c"]', time_limit=30,
                             started_by=people["张书记"], question_started_at=NOW, status="finished",
                             started_at=datetime(2026, 3, 3, 20), finished_at=datetime(2026, 3, 3, 20, 5))
        session.add(contest)
        session.flush()
        for index, correct in enumerate((True, True, False)):
            session.add(ContestAnswer(contest_id=contest.id, question_index=index, question_key="abc"[index],
                                      member_id=people["张三"], answer="A", correct=correct, points=10 * correct,
                                      answered_at=datetime(2026, 3, 3, 20, index)))
        session.add(MistakeRow(member_id=people["张三"], bank="党章知识", question_key="c", answer="B",
                               at=datetime(2026, 3, 3, 20, 2)))
        meeting = MeetingRow(branch_id=branches["第一支部"], type_key="general_assembly", start_at=MEETING,
                             topic="学习党章", created_at=MEETING)
        later = MeetingRow(branch_id=branches["第一支部"], type_key="lecture", start_at=NOW + timedelta(days=7),
                           topic="党课：党的纪律", created_at=NOW)
        session.add_all([meeting, later])
        session.flush()
        for name, status in (("张三", "present"), ("李四", "leave")):
            session.add(AttendanceRow(meeting_id=meeting.id, member_id=people[name], signed_at=MEETING, status=status))
        award_points(session=session, member_id=people["张三"], amount=10, reason="meeting", source=f"m:{meeting.id}",
                     now=MEETING, note="支部党员大会")
        session.commit()
    return app


@pytest.fixture
def app(tmp_path: Path) -> App:
    return with_records(seeded(tmp_path))


def section(page: str, marker: str) -> str:
    """The card of the page holding `marker` (e.g. its export link)."""
    return next(card for card in page.split('<section class="card">') if marker in card)


def cells(page: str, row_name: str) -> list[str]:
    """The texts of the table row whose first cell is `row_name`."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        found = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        texts = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in found]
        if texts and texts[0] == row_name:
            return texts
    raise AssertionError(f"no row {row_name}")


def rank_points(cli_config: Path, period: str) -> dict[str, int]:
    result = CliRunner().invoke(build_cli(), ["rank", "--format", "json", "--limit", "0", "--period", period,
                                              "--config", str(cli_config)], obj=CliContext(ManualClock(NOW)))
    assert result.exit_code == 0, result.output
    return {r["name"]: r["points"] for r in json.loads(result.stdout)}


@pytest.mark.parametrize("period", ["week", "month", "all"])
def test_branch_members_have_studybot_ranks_points(app: App, cli_config: Path, period: str) -> None:
    client = login(app, "老周")
    branch = branch_ids(app)["第一支部"]
    page = client.get(f"/branch/{branch}?period={period}").text
    ranked = rank_points(cli_config, period)
    for name in ("张三", "李四", "张书记"):
        assert int(cells(page, name)[4]) == ranked.get(name, 0), (name, period)
    # 张三: 2 daily answers (1 right) and 3 contest answers (2 right), 1 item read, 1 meeting attended of 1
    assert cells(page, "张三")[5:] == ["5", "3", "1", "1", "1", "0", "0"]
    assert cells(page, "李四")[8:] == ["1", "0", "1", "0"]  # expected at 1, on leave
    assert cells(page, "张书记")[1] == "书记" and cells(page, "张书记")[8:] == ["1", "0", "0", "1"]
    assert "钱七" not in page and 'href="/member/' in page


def test_branch_page_shows_meetings_groups_and_period(app: App) -> None:
    client = login(app, "张书记")
    branch = branch_ids(app)["第一支部"]
    page = client.get(f"/branch/{branch}?period=week").text
    assert cells(page, "2026-03-02 19:00")[1:] == ["支部党员大会", "学习党章", "已开展", "3", "1", "1", "1", "33.3%"]
    assert cells(page, "2026-03-11 10:00")[1:4] == ["党课", "党课：党的纪律", "未开始"]
    assert re.search(r'<a href="/meetings/\d+">2026-03-02 19:00</a>', page)
    assert cells(page, "第一支部学习群") == ["第一支部学习群", "企业微信"] and "第二支部群" not in page
    assert "共 2 次" in page and "共 3 人" in page
    assert "2026-03-02 19:00" in client.get(f"/branch/{branch}?period=all").text


def test_exports_open_in_openpyxl_and_match_the_screen(app: App) -> None:
    client = login(app, "老周")
    people, branch = ids(app), branch_ids(app)["第一支部"]
    urls = {f"/branch/{branch}": ("members", "meetings", "groups"), f"/member/{people['张三']}":
            ("ledger", "contests", "meetings")}
    for page_url, tables in urls.items():
        page = client.get(page_url + "?period=month").text
        for table in tables:
            xlsx = client.get(f"{page_url}/{table}/export.xlsx?period=month")
            assert xlsx.status_code == 200, (page_url, table)
            sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
            rows = [["" if v is None else v for v in r] for r in sheet.iter_rows(values_only=True)]
            text = client.get(f"{page_url}/{table}/export.csv?period=month").content.decode("utf-8-sig")
            shown = list(csv.reader(io.StringIO(text)))
            assert len(rows) == len(shown) >= 2, (page_url, table)
            card = section(page, f"/{table}/export.csv")
            for sheet_row, csv_row in zip(rows[1:], shown[1:]):
                assert cells(card, csv_row[0]) == csv_row, (page_url, table)
                assert [str(v) if not isinstance(v, float) else csv_row[i] for i, v in enumerate(sheet_row)] == csv_row
    listing = client.get("/branch/export.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(listing.content)).active
    assert [c.value for c in sheet[1]] == ["支部", "人数", "本月参与人数", "本月积分", "三会一课"]
    assert ["第一支部", 3, 2, 60] == [c.value for c in sheet[3]][:4]  # 张三 30 (20 + 10 组织生活) and 李四 30


def test_member_page_ledger_contests_mistakes_meetings(app: App) -> None:
    page = login(app, "张三").get(f"/member/{ids(app)['张三']}").text
    ledger, meetings = section(page, "/ledger/export"), section(page, "/meetings/export")
    assert cells(ledger, "2026-03-02 19:00")[1:] == ["组织生活", "10", "出席支部党员大会", "三会一课", ""]
    assert cells(meetings, "2026-03-02 19:00")[1:] == ["第一支部", "支部党员大会", "学习党章", "出席"]
    assert "出席支部党员大会" in page and "知识竞赛答对 1 题" in page and "支委加减分" in page
    assert cells(page, "2026-03-03 20:00") == ["2026-03-03 20:00", "第一支部学习群", "党章知识", "3", "2", "20", "计分"]
    assert re.search(r"<b>1</b><span>错题本", page)
    assert re.search(r"<b>30</b><span>本月积分</span>", page) and re.search(r"<b>40</b><span>累计积分", page)
    assert "出席 1　请假 0　列席 0　缺席 0" in page
    assert 'href="/meetings/' not in page and 'href="/branch/' not in page.split("<main>")[1]  # a member: no links
    li = login(app, "李四").get(f"/member/{ids(app)['李四']}").text
    assert "请假 1" in li and cells(section(li, "/meetings/export"), "2026-03-02 19:00")[-1] == "请假"
    secretary = login(app, "张书记").get(f"/member/{ids(app)['张书记']}").text
    assert cells(section(secretary, "/meetings/export"), "2026-03-02 19:00")[-1] == "缺席"


def test_the_ledger_pages_with_more(app: App) -> None:
    people = ids(app)
    with app.db.session() as session:
        for n in range(40):
            award_points(session=session, member_id=people["李四"], amount=1, reason="study", source=f"s:{n}",
                         now=datetime(2026, 3, 1, 8, n), note=f"资料{n}")
        session.commit()
    client = login(app, "张书记")
    url = f"/member/{people['李四']}"
    first = client.get(url).text
    assert "共 41 项，显示最近 30 项" in first and f'href="{url}?n=60"' in first
    assert "已学资料39" in first and "已学资料0<" not in first
    more = client.get(url + "?n=60").text
    assert "已学资料0<" in more and "更多" not in more.split("积分明细")[1].split("参加的竞赛")[0]
    exported = client.get(url + "/ledger/export.csv").content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(exported)))) == 42  # the export holds all of them


def test_links_from_ranking_and_overview(app: App) -> None:
    client = login(app, "老周")
    people, branches = ids(app), branch_ids(app)
    assert f'<a href="/member/{people["钱七"]}">钱七</a>' in client.get("/ranking").text
    assert f'<a href="/branch/{branches["第二支部"]}">第二支部</a>' in client.get("/ranking?by=branch").text
    assert f'<a href="/branch/{branches["第一支部"]}">第一支部</a>' in client.get("/").text
    listing = client.get("/branch").text
    assert f'<a href="/branch/{branches["第二支部"]}">第二支部</a>' in listing and 'class="flag red"' in listing
    mine = login(app, "张书记").get("/ranking").text
    assert f'href="/member/{people["李四"]}"' in mine and "钱七" not in mine


def test_redirects(app: App) -> None:
    assert login(app, "张书记").get("/branch").headers["location"] == f"/branch/{branch_ids(app)['第一支部']}"
    assert login(app, "张三").get("/member").headers["location"] == f"/member/{ids(app)['张三']}"


# expected status per viewer, for URLs naming 第一支部 (A), 第二支部 (B) and people of each
A_ONLY = {"admin": 200, "secretary A": 200, "secretary B": 403, "member": 403, "logged out": 401}
B_ONLY = {"admin": 200, "secretary A": 403, "secretary B": 200, "member": 403, "logged out": 401}
OWN_A = {"admin": 200, "secretary A": 200, "secretary B": 403, "member": 200, "logged out": 401}  # 张三's own
MANAGERS = {"admin": 200, "secretary A": 200, "secretary B": 200, "member": 403, "logged out": 401}
LIST = {"admin": 200, "secretary A": 303, "secretary B": 303, "member": 403, "logged out": 401}
REDIRECT = {"admin": 303, "secretary A": 303, "secretary B": 303, "member": 303, "logged out": 401}
NOBODY = {"admin": 404, "secretary A": 404, "secretary B": 404, "member": 404, "logged out": 401}
NO_BRANCH = {"admin": 404, "secretary A": 404, "secretary B": 404, "member": 403, "logged out": 401}
MATRIX = [
    ("/branch", LIST), ("/branch/export.xlsx", MANAGERS), ("/branch/export.csv", MANAGERS),
    ("/branch/{A}", A_ONLY), ("/branch/{A}?period=all", A_ONLY), ("/branch/{B}?period=week", B_ONLY),
    ("/branch/{A}/members/export.xlsx?period=month", A_ONLY), ("/branch/{B}/members/export.csv", B_ONLY),
    ("/branch/{A}/meetings/export.csv", A_ONLY), ("/branch/{B}/meetings/export.xlsx", B_ONLY),
    ("/branch/{A}/groups/export.xlsx", A_ONLY), ("/branch/{B}/groups/export.csv", B_ONLY),
    ("/branch/99999", NO_BRANCH), ("/branch/abc", NOBODY | {"member": 404}),
    ("/member", REDIRECT), ("/member/{zhang}", OWN_A), ("/member/{li}", A_ONLY), ("/member/{qian}", B_ONLY),
    ("/member/{zhang}/ledger/export.xlsx", OWN_A), ("/member/{zhang}/contests/export.csv", OWN_A),
    ("/member/{li}/meetings/export.xlsx", A_ONLY), ("/member/{qian}/ledger/export.csv", B_ONLY),
    ("/member/{qian}/meetings/export.csv", B_ONLY), ("/member/99999", NOBODY), ("/member/x1", NOBODY),
]


@pytest.mark.parametrize("who", list(VIEWERS))
def test_role_matrix(app: App, who: str) -> None:
    client: TestClient = client_as(app, who)
    people, branches = ids(app), branch_ids(app)
    values = {"A": branches["第一支部"], "B": branches["第二支部"], "zhang": people["张三"], "li": people["李四"],
              "qian": people["钱七"]}
    for url, expected in MATRIX:
        response = client.get(url.format(**values))
        assert response.status_code == expected[who], (url, who, response.status_code)
        if response.status_code != 200:  # refused: no names, no figures
            assert not any(name in response.text for name in ("钱七", "李四", "张三", "第二支部群", "学习党章")), url


def test_a_secretary_of_a_sees_nothing_of_b_anywhere(app: App) -> None:
    client = login(app, "张书记")
    b = branch_ids(app)["第二支部"]
    refused = client.get(f"/branch/{b}")
    assert refused.status_code == 403 and "无权查看该支部" in refused.text and "第二支部" not in refused.text
    member = client.get(f"/member/{ids(app)['钱七']}")
    assert member.status_code == 403 and "无权查看该成员" in member.text
    assert client.get("/branch/export.csv").content.decode("utf-8-sig").count("\n") == 2  # header and 第一支部


def test_the_pages_on_each_database(tmp_path: Path, database_url: str) -> None:
    """The raw SQL on SQLite and, with STUDYBOT_TEST_POSTGRES set, on PostgreSQL."""
    app = with_records(seeded(tmp_path, database={"url": database_url}))
    client = login(app, "张书记")
    page = client.get(f"/branch/{branch_ids(app)['第一支部']}?period=week").text
    assert cells(page, "张三")[4:] == ["30", "5", "3", "1", "1", "1", "0", "0"]
    assert cells(page, "李四")[8:] == ["1", "0", "1", "0"]
    member = client.get(f"/member/{ids(app)['张三']}").text
    assert cells(section(member, "/contests/export"), "2026-03-03 20:00")[3:6] == ["3", "2", "20"]
    assert cells(section(member, "/meetings/export"), "2026-03-02 19:00")[-1] == "出席"
    assert client.get(f"/member/{ids(app)['钱七']}").status_code == 403


def test_a_long_branch_list_is_paged(app: App) -> None:
    from bot.storage.models import Branch, Member

    with app.db.session() as session:
        made = [Branch(name=f"测试支部{n:02d}") for n in range(60)]
        session.add_all(made)
        session.flush()
        session.add_all(Member(name=f"党员{n:02d}", branch_id=b.id, created_at=NOW) for n, b in enumerate(made))
        session.commit()
    client = login(app, "老周")
    first, second = client.get("/branch").text, client.get("/branch?page=2").text
    listed = re.findall(r"测试支部\d\d", first) + re.findall(r"测试支部\d\d", second)
    assert sorted(listed) == [f"测试支部{n:02d}" for n in range(60)]  # each on one page, none lost
    assert "第 1/2 页" in first and 'href="/branch?page=2"' in first and "第 2/2 页" in second
    assert "第 2/2 页" in client.get("/branch?page=9").text
    exported = client.get("/branch/export.csv").content.decode("utf-8-sig")
    assert all(f"测试支部{n:02d}" in exported for n in range(60))  # the download: every branch
