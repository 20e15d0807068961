"""总览 and 排行 on seeded data, the role matrix over every page and export URL, 排行 equal to `studybot rank`,
and the exports (an .xlsx openpyxl opens, a CSV with a BOM and formula-like text escaped)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from typer.testing import CliRunner

from bot.app import App
from bot.cli import build_cli
from bot.cli.common import CliContext
from bot.clock import ManualClock
from bot.storage.models import DailyAnswer, Member
from bot.storage.models_web import WebAudit
from bot.storage.points import award_points
from bot.storage.study import mark_read
from scheduler.points import Category
from tests.web_helpers import branch_ids, client_for, ids, login, web_app

NOW = datetime(2026, 3, 4, 10, 0)  # a Wednesday: W2026-10, M2026-03
MARCH, FEBRUARY = datetime(2026, 3, 3, 9, 0), datetime(2026, 2, 20, 9, 0)


def seeded(tmp_path: Path, **overrides: Any) -> App:
    """第一支部: 张三 30 (20 answering in March + 10 by hand in February as 志愿服务), 李四 30; 第二支部: 钱七 20,
    and a member called 「=HYPERLINK("x")」 with 5. 张三 answered 2 daily questions this week (1 right), read 1 item."""
    app = web_app(tmp_path, ManualClock(NOW), **overrides)
    people = ids(app)
    with app.db.session() as session:
        formula = Member(name='=HYPERLINK("x")', branch_id=branch_ids(app)["第二支部"], created_at=FEBRUARY)
        session.add(formula)
        session.flush()
        people["formula"] = formula.id
        for name, amount, when, reason, category in [
                ("张三", 20, MARCH, "contest", None), ("张三", 10, FEBRUARY, "manual", Category.SERVICE),
                ("李四", 30, MARCH, "contest", None), ("钱七", 20, MARCH, "contest", None),
                ("formula", 5, MARCH, "contest", None)]:
            award_points(session=session, member_id=people[name], amount=amount, reason=reason, category=category,
                         source=f"test:{name}:{amount}", now=when)
        for day, correct in (("2026-03-02", True), ("2026-03-03", False)):
            session.add(DailyAnswer(member_id=people["张三"], day=day, question_key="q", bank="b", asked_at=MARCH,
                                    answer="A", correct=correct, answered_at=datetime.fromisoformat(day + " 09:30")))
        mark_read(session=session, member_id=people["张三"], item_id="item", now=MARCH)
        session.commit()
    return app


@pytest.fixture
def app(tmp_path: Path) -> App:
    return seeded(tmp_path)


VIEWERS = {"admin": "老周", "secretary A": "张书记", "secretary B": "王书记", "member": "张三", "logged out": None}
ALL = {"admin": 200, "secretary A": 200, "secretary B": 200, "member": 200, "logged out": 401}
MANAGERS = {"admin": 200, "secretary A": 200, "secretary B": 200, "member": 403, "logged out": 401}
EVERYTHING = {"admin": 200, "secretary A": 403, "secretary B": 403, "member": 403, "logged out": 401}
ONLY_A = {"admin": 200, "secretary A": 200, "secretary B": 403, "member": 403, "logged out": 401}
ONLY_B = {"admin": 200, "secretary A": 403, "secretary B": 200, "member": 403, "logged out": 401}
# every page and export URL; {A} and {B} are the branches' ids
MATRIX = [("/", ALL), ("/ranking", MANAGERS), ("/ranking?by=branch&period=month", MANAGERS),
          ("/ranking/export.xlsx", MANAGERS), ("/ranking/export.csv?by=branch", MANAGERS),
          ("/ranking?branch={A}", ONLY_A), ("/ranking?branch={B}&period=month", ONLY_B),
          ("/ranking/export.csv?branch={B}", ONLY_B), ("/ranking/export.xlsx?branch={A}&by=branch", ONLY_A),
          ("/audit", EVERYTHING), ("/audit?page=2", EVERYTHING),
          ("/contests", MANAGERS), ("/contests/export.xlsx", MANAGERS), ("/contests/export.csv?bank=x", MANAGERS),
          ("/banks", EVERYTHING), ("/banks/export.xlsx", EVERYTHING), ("/banks/export.csv", EVERYTHING),
          ("/roster", MANAGERS), ("/roster/export.xlsx", MANAGERS), ("/roster/export.csv", MANAGERS)]


def client_as(app: App, who: str) -> TestClient:
    name = VIEWERS[who]
    return login(app, name) if name else client_for(app)


@pytest.mark.parametrize("who", list(VIEWERS))
def test_role_matrix(app: App, who: str) -> None:
    client = client_as(app, who)
    branches = branch_ids(app)
    for url, expected in MATRIX:
        response = client.get(url.format(A=branches["第一支部"], B=branches["第二支部"]))
        assert response.status_code == expected[who], (url, who)
        if response.status_code != 200:
            assert "钱七" not in response.text and "李四" not in response.text


def test_a_secretary_sees_only_their_branch(app: App) -> None:
    client = login(app, "张书记")
    page = client.get("/ranking").text
    assert "张三" in page and "李四" in page and "钱七" not in page
    exported = client.get("/ranking/export.csv").content.decode("utf-8-sig")
    assert "李四" in exported and "钱七" not in exported
    branches = client.get("/ranking?by=branch").text
    assert "第一支部" in branches and "第二支部" not in branches
    assert "第二支部" not in client.get("/").text  # its 三会一课 flags too


def test_overview_figures_on_seeded_data(app: App) -> None:
    member = login(app, "张三").get("/").text
    week = member.split("本周")[1].split("</section>")[0]
    assert re.findall(r"<b>([^<]+)</b>", week) == ["1", "2", "50%", "1"]  # active, answers, accuracy, read
    assert "答题 20" in week and "三会一课" not in member  # a member sees their own figures, no branches
    admin = login(app, "老周").get("/").text
    month = admin.split("本月")[1].split("</section>")[0]
    assert re.findall(r"<b>([^<]+)</b>", month) == ["1", "2", "50%", "1"]
    assert "答题 75" in month and "志愿服务 0" in month  # February's 10 by hand is not this month's
    chart = json.loads(re.search(r'id="points-data">([^<]+)</script>', admin)[1])  # type: ignore[index]
    assert len(chart["weeks"]) == 12 and chart["weeks"][-1] == "第10周"
    quiz = next(s for s in chart["series"] if s["name"] == "答题")
    assert quiz["data"][-1] == 75 and sum(quiz["data"]) == 75
    service = next(s for s in chart["series"] if s["name"] == "志愿服务")
    assert service["data"][-3] == 10  # W2026-08, two weeks before
    assert "三会一课（上月与本期）" in admin and 'class="flag' in admin
    # nothing was held in February, an ended month: red, said as a fact; March is still running: said as 尚未开展
    assert re.search(r"上月[^<]*未按要求开展", admin)
    assert "本期尚未开展" in admin


@pytest.mark.parametrize("period", ["all", "month", "week"])
def test_ranking_equals_studybot_rank(app: App, tmp_path: Path, cli_config: Path, period: str) -> None:
    client = login(app, "老周")

    def rank(*args: str) -> list[dict[str, object]]:
        result = CliRunner().invoke(build_cli(), ["rank", "--format", "json", "--limit", "0", "--period", period,
                                                  *args, "--config", str(cli_config)], obj=CliContext(ManualClock(NOW)))
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/ranking/export.xlsx?period={period}").content))
    rows = [list(r) for r in book.active.iter_rows(min_row=2, values_only=True)]
    assert rows == [[r["rank"], r["name"], r["branch"], r["points"]] for r in rank()]
    assert book.active.cell(2, 2).data_type == "s"
    branch_csv = client.get(f"/ranking/export.csv?by=branch&period={period}").content.decode("utf-8-sig")
    branches = list(csv.reader(io.StringIO(branch_csv)))[1:]
    assert [(int(b[0]), b[1], int(b[4])) for b in branches] == [
        (r["rank"], r["name"], r["total_points"]) for r in rank("--by", "branch")]
    page = client.get(f"/ranking?period={period}").text
    for r in rank():
        assert f"<td>{r['branch']}</td><td class=\"num\">{r['points']}</td>" in page.replace('&#34;', '"') \
            or r["name"] == '=HYPERLINK("x")'


def test_ranking_category_search_paging_and_htmx(app: App) -> None:
    client = login(app, "老周")
    service = client.get("/ranking?category=service").text
    assert "张三" in service and "李四" not in service
    found = client.get("/ranking?q=李").text
    assert "李四" in found and "张三" not in found and ">1<" in found  # keeps its rank among everyone
    partial = client.get("/ranking?period=month", headers={"HX-Request": "true", "HX-Target": "ranking-table"})
    assert partial.status_code == 200 and "<html" not in partial.text and "李四" in partial.text
    assert "<html" in client.get("/ranking?period=month").text  # no JavaScript: the whole page
    assert "共 4 条" in client.get("/ranking?page=9").text


def test_exports_are_escaped_audited_and_excel_ready(app: App) -> None:
    client = login(app, "老周")
    response = client.get("/ranking/export.csv?period=month")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["名次", "姓名", "支部", "积分"]
    assert ["4", "'=HYPERLINK(\"x\")", "第二支部", "5"] in rows
    book = openpyxl.load_workbook(io.BytesIO(client.get("/ranking/export.xlsx?period=month").content))
    cells = [c for row in book.active.iter_rows() for c in row if c.value == '=HYPERLINK("x")']
    assert cells and all(c.data_type == "s" for c in cells)
    with app.db.session() as session:
        exports = [a for a in session.exec(select(WebAudit)) if a.action == "export"]
    assert len(exports) == 2 and "M2026-03" in exports[0].detail and exports[0].detail.endswith("csv，4 行")
    assert date(2026, 3, 4) == NOW.date()
