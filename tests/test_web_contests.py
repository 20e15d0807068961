"""竞赛 on the dashboard: the list in scope (a 书记 sees their branch's groups, and a 全委竞赛 their members took part
in with only their members' answers), per-question correct rates and scores on seeded contests, the exports, and
another branch's contest refused."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from bot.app import App
from bot.clock import ManualClock
from bot.storage.models import ChatGroup, ContestAnswer, ContestRound, ContestRow
from tests.web_helpers import branch_ids, ids, login, web_app

NOW = datetime(2026, 3, 4, 10, 0)
START = datetime(2026, 3, 2, 20, 0)


def seeded(tmp_path: Path) -> tuple[App, dict[str, int]]:
    """c1 in 第一支部's group (3 questions: 张三 right, wrong, right; 李四 right, wrong; 张书记 wrong), c2 in 第二支部's
    (钱七 right), c3 a 全委竞赛's part in the committee's group (张三 right, 钱七 wrong)."""
    app = web_app(tmp_path, ManualClock(NOW))
    people, branches = ids(app), branch_ids(app)
    bank = app.catalog.banks()[0]
    keys = [q.key for q in bank.questions[:3]]
    made: dict[str, int] = {}
    with app.db.session() as session:
        groups = {}
        for label, branch in (("一支部群", branches["第一支部"]), ("二支部群", branches["第二支部"]), ("党委群", None)):
            group = ChatGroup(channel="local", external_id=label, name=label, branch_id=branch)
            session.add(group)
            session.flush()
            groups[label] = group.id
        steps = dict(bank=bank.name, question_keys=json.dumps(keys), time_limit=20, question_started_at=START,
                     status="finished")
        round_ = ContestRound(started_by=people["老周"], started_at=START + timedelta(days=1), **steps)
        session.add(round_)
        session.flush()
        for label, group, starter, when, round_id in (("c1", "一支部群", "张书记", START, None),
                                                      ("c2", "二支部群", "王书记", START + timedelta(hours=1), None),
                                                      ("c3", "党委群", "老周", START + timedelta(days=1), round_.id)):
            row = ContestRow(group_id=groups[group], started_by=people[starter], started_at=when,
                             finished_at=when + timedelta(minutes=5), round_id=round_id, **steps)
            session.add(row)
            session.flush()
            assert row.id is not None
            made[label] = row.id
        for label, name, index, correct in [("c1", "张三", 0, True), ("c1", "张三", 1, False), ("c1", "张三", 2, True),
                                            ("c1", "李四", 0, True), ("c1", "李四", 1, False),
                                            ("c1", "张书记", 0, False), ("c2", "钱七", 0, True),
                                            ("c3", "张三", 0, True), ("c3", "钱七", 0, False)]:
            session.add(ContestAnswer(contest_id=made[label], question_index=index, question_key=keys[index],
                                      member_id=people[name], answer="A", correct=correct, points=10 if correct else 0,
                                      answered_at=START + timedelta(minutes=1)))
        session.commit()
    return app, made


@pytest.fixture
def seeded_app(tmp_path: Path) -> tuple[App, dict[str, int]]:
    return seeded(tmp_path)


def sheet_rows(client: TestClient, path: str) -> list[tuple[object, ...]]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_the_committee_sees_every_contest_newest_first(seeded_app: tuple[App, dict[str, int]]) -> None:
    app, made = seeded_app
    client = login(app, "老周")
    page = client.get("/contests")
    assert page.status_code == 200
    assert "共 3 场" in page.text
    assert page.text.index("党委群") < page.text.index("二支部群") < page.text.index("一支部群")
    assert "全委竞赛" in page.text and f'href="/contests/{made["c1"]}"' in page.text
    rows = sheet_rows(client, "/contests/export.xlsx")
    assert rows[0][:4] == ("开始时间", "群", "支部", "发起人")
    first = {row[1]: row for row in rows[1:]}["一支部群"]
    assert first[6:10] == (3, 3, 6, 0.5)  # 3 questions, 3 people, 6 answers, 3 right


def test_a_secretary_sees_their_groups_and_only_their_members_in_a_round(
        seeded_app: tuple[App, dict[str, int]]) -> None:
    app, made = seeded_app
    client = login(app, "张书记")
    page = client.get("/contests").text
    assert "共 2 场" in page and "二支部群" not in page and "党委群" in page
    rows = {row[1]: row for row in sheet_rows(client, "/contests/export.xlsx")[1:]}
    assert set(rows) == {"一支部群", "党委群"}
    assert rows["党委群"][7:10] == (1, 1, 1.0)  # 张三 only: 钱七 is 第二支部's
    assert client.get(f"/contests/{made['c2']}").status_code == 404
    assert client.get(f"/contests/{made['c2']}/scores/export.csv").status_code == 404
    round_part = client.get(f"/contests/{made['c3']}").text
    assert "张三" in round_part and "钱七" not in round_part
    other = login(app, "王书记")
    assert "钱七" in other.get(f"/contests/{made['c3']}").text
    assert "张三" not in other.get(f"/contests/{made['c3']}").text


def test_per_question_rates_and_scores(seeded_app: tuple[App, dict[str, int]]) -> None:
    app, made = seeded_app
    client = login(app, "老周")
    bank = app.catalog.banks()[0]
    page = client.get(f"/contests/{made['c1']}")
    assert page.status_code == 200
    assert bank.questions[0].text in page.text and 'id="rates-data"' in page.text
    chart = json.loads(page.text.split('id="rates-data">')[1].split("</script>")[0])
    assert chart["rates"] == [66.7, 0.0, 100.0]
    questions = sheet_rows(client, f"/contests/{made['c1']}/questions/export.xlsx")
    assert [row[3:] for row in questions[1:]] == [(3, 2, pytest.approx(2 / 3)), (2, 0, 0.0), (1, 1, 1.0)]
    assert questions[1][2] == bank.questions[0].answer_display()
    scores = sheet_rows(client, f"/contests/{made['c1']}/scores/export.xlsx")
    assert scores[1:] == [("张三", "第一支部", 3, 2, 20), ("李四", "第一支部", 2, 1, 10),
                          ("张书记", "第一支部", 1, 0, 0)]
    csv = client.get(f"/contests/{made['c1']}/questions/export.csv")
    assert csv.status_code == 200 and "66.7%" in csv.content.decode("utf-8-sig")


def test_the_bank_filter_and_bad_ids(seeded_app: tuple[App, dict[str, int]]) -> None:
    app, _ = seeded_app
    client = login(app, "老周")
    assert "共 0 场" in client.get("/contests?bank=没有的题库").text
    assert "共 3 场" in client.get(f"/contests?bank={app.catalog.banks()[0].name}").text
    for bad in ("/contests/abc", "/contests/999999", "/contests/1x/questions/export.xlsx"):
        assert client.get(bad).status_code == 404
    assert login(app, "张三").get("/contests").status_code == 403
