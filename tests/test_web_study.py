"""学习 on the dashboard (/study): per item the members its pushes reached and who of them read it, the funnel's
JSON, the branch breakdown, the plans and the next pushes, the exports, and who may see what."""

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

from bot.app import App
from bot.clock import ManualClock
from bot.storage.models import ChatGroup, Member, OutboxRow, ScheduledPush
from bot.storage.study import mark_read
from tests.test_web_pages import VIEWERS, client_as
from tests.web_helpers import branch_ids, login, web_app

NOW = datetime(2026, 3, 4, 10, 0)  # a Wednesday
MANAGERS = {"admin": 200, "secretary A": 200, "secretary B": 200, "member": 403, "logged out": 401}
MATRIX = ["/study", "/study?item=01-lilun-wuzhuang", "/study/export.xlsx", "/study/export.csv?item=02-sanhui-yike",
          "/study/branches/export.csv", "/study/branches/export.xlsx?item=01-lilun-wuzhuang",
          "/study/plans/export.csv", "/study/next/export.xlsx"]
PLAN = "plans:\n  - name: 周一学习\n    when: 每周一 09:00\n    to: [第一支部, 第二支部学习群]\n" \
       "    items: [01-lilun-wuzhuang, 02-sanhui-yike]\n"


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> App:
    return seed_study(tmp_path, database_url)  # SQLite, and PostgreSQL with STUDYBOT_TEST_POSTGRES


def seed_study(tmp_path: Path, database_url: str | None = None) -> App:
    """Item 01 went to both branches' groups (5 members), 02 to 第一支部's (3), 03 privately to 钱七, a 04 push is
    still pending; 张三, 李四 and 钱七 read 01, 张三 read 02, 王书记 read 05 without a push. 第二支部 arranged 04."""
    (tmp_path / "plan.yaml").write_text(PLAN, encoding="utf-8")
    app = web_app(tmp_path, ManualClock(NOW), content={"plans": [str(tmp_path / "plan.yaml")]},
                  **({"database": {"url": database_url}} if database_url else {}))
    branches = branch_ids(app)
    with app.db.session() as session:
        people = {m.name: m.id for m in session.exec(select(Member))}
        session.add(ChatGroup(channel="local", external_id="gA", name="第一支部学习群", branch_id=branches["第一支部"]))
        session.add(ChatGroup(channel="local", external_id="gB", name="第二支部学习群", branch_id=branches["第二支部"]))
        for n, (item, chat, branch, group, status) in enumerate([
                ("01-lilun-wuzhuang", "gA", "第一支部", True, "sent"),
                ("01-lilun-wuzhuang", "gB", "第二支部", True, "sent"),
                ("02-sanhui-yike", "gA", "第一支部", True, "unsure"),
                ("03-zhuti-dangri", "钱七", "第二支部", False, "sent"),
                ("04", "gA", "第一支部", True, "pending")]):
            key = f"plan:plan#周一学习:2026030{n + 1}0900:local:{chat}" if item.startswith("01") else f"t{n}"
            session.add(OutboxRow(key=key, kind="study", channel="local", chat_id=chat, is_group=group, text="…",
                                  item_id=item, branch_id=branches[branch], due_at=NOW, created_at=NOW, status=status,
                                  sent_at=datetime(2026, 3, n + 1, 9, 0) if status != "pending" else None))
        for name, item in (("张三", "01-lilun-wuzhuang"), ("李四", "01-lilun-wuzhuang"), ("钱七", "01-lilun-wuzhuang"),
                           ("张三", "02-sanhui-yike"), ("王书记", "05-lianjie-zilü")):
            mark_read(session=session, member_id=people[name], item_id=item, now=NOW)
        arranged = ScheduledPush(branch_id=branches["第二支部"], item_id="04-dangzhang-xuexi", when_text="每周五 09:00",
                                 created_by="王书记", created_at=NOW)
        session.add(arranged)
        session.commit()
        session.refresh(arranged)
    app.schedule.reconcile()
    return app


@pytest.mark.parametrize("who", list(VIEWERS))
def test_role_matrix(app: App, who: str) -> None:
    client = client_as(app, who)
    for url in MATRIX:
        response = client.get(url)
        assert response.status_code == MANAGERS[who], (url, who)
        if response.status_code != 200:
            assert "三会一课制度要点" not in response.text
    if who == "admin":
        assert client.get("/study?item=nothing-like-it").status_code == 404
        assert client.get("/study/export.pdf").status_code == 404


def _funnel(page: str) -> dict:
    found = re.search(r'id="study-data">([^<]+)</script>', page)
    assert found is not None
    return json.loads(found[1])


def test_items_reached_and_read_for_the_committee(app: App) -> None:
    client = login(app, "老周")
    page = client.get("/study").text
    data = _funnel(page)
    assert data["stages"] == [{"name": "推送到", "value": 9}, {"name": "其中已学", "value": 4}]
    assert data["unpushed_reads"] == 1
    rows = list(csv.reader(io.StringIO(client.get("/study/export.csv").content.decode("utf-8-sig"))))
    assert rows[0] == ["学习资料", "编号", "推送次数", "最近推送", "推送到（人）", "其中已学", "已学率", "已学（全部）"]
    figures = {r[1]: r[2:3] + r[4:] for r in rows[1:]}
    assert figures["01-lilun-wuzhuang"] == ["2", "5", "3", "60.0%", "3"]
    assert figures["02-sanhui-yike"] == ["1", "3", "1", "33.3%", "1"]
    assert figures["03-zhuti-dangri"] == ["1", "1", "0", "0.0%", "0"]  # the private push reached 钱七
    assert figures["05-lianjie-zilü"] == ["0", "0", "0", "", "1"]
    assert "04" not in figures  # still pending: nobody reached yet
    branches = list(csv.reader(io.StringIO(client.get("/study/branches/export.csv").content.decode("utf-8-sig"))))
    assert {r[0]: r[1:] for r in branches[1:]} == {"机关党委": ["0", "0", "", "0"],
                                                   "第一支部": ["6", "3", "50.0%", "3"],
                                                   "第二支部": ["3", "1", "33.3%", "2"]}
    one = client.get("/study?item=01-lilun-wuzhuang").text
    assert _funnel(one)["stages"][0]["value"] == 5 and "深入学习贯彻" in one
    assert [b["reached"] for b in _funnel(one)["branches"]] == [0, 3, 2]
    book = openpyxl.load_workbook(io.BytesIO(client.get("/study/export.xlsx").content))
    assert book.active.cell(1, 1).value == "学习资料" and book.active.max_row == 5


def test_plans_and_next_pushes(app: App) -> None:
    admin = login(app, "老周").get("/study").text
    upcoming = admin.split("即将推送")[1].split("</table>")[0]
    # the plan has pushed 01 to 第一支部学习群 once: 02 comes next, on Monday
    assert "03-09 09:00" in upcoming and "《三会一课制度要点》" in upcoming and "计划「周一学习」" in upcoming
    assert "03-06 09:00" in upcoming and "安排推送 编号" in upcoming and "王书记" in upcoming
    assert "每周一 09:00" in admin.split("学习计划")[-1]
    a = login(app, "张书记").get("/study").text
    assert "第一支部学习群" in a and "第二支部学习群" not in a and "编号" not in a.split("即将推送")[1]
    plans = login(app, "王书记").get("/study/plans/export.csv").content.decode("utf-8-sig")
    assert "周一学习" in plans and "第二支部学习群" in plans and "第一支部学习群" not in plans


def test_a_secretary_sees_only_their_branch(app: App) -> None:
    client = login(app, "张书记")
    data = _funnel(client.get("/study").text)
    assert data["stages"] == [{"name": "推送到", "value": 6}, {"name": "其中已学", "value": 3}]
    exported = client.get("/study/export.csv").content.decode("utf-8-sig")
    assert "03-zhuti-dangri" not in exported and "05-lianjie" not in exported
    branches = client.get("/study/branches/export.csv").content.decode("utf-8-sig")
    assert "第一支部" in branches and "第二支部" not in branches
