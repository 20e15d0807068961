"""A study plan reaches a branch on WeChat (h5.branches) through its virtual group 「第二支部（微信群）」: a plan's
知识竞赛 `to: [第二支部]` runs there (the branch's members answer on the live contest page, its link in the log for
the secretary), and a plan's study items pushed to the branch appear on its members' 学习资料 page."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import App
from bot.channels.registry import add_platform_channels
from bot.clock import ManualClock
from bot.services.h5_groups import group_name
from bot.storage.models import Branch, ChatGroup, ContestRow
from tests.h5_contest_helpers import csrf_of, stored
from tests.helpers import T0, RecordingChannel
from tests.web_helpers import client_for, login, web_app

PLAN = """\
plans:
  - name: 微信群竞赛
    when: 每周五 16:00
    to: [第二支部]
    contest: {bank: 测试题库, questions: 2, time_limit: 20}
  - name: 微信群学习
    when: 每周一 09:00
    to: [第二支部]
    items: [02-sanhui-yike]
"""


def planned(tmp_path: Path, database_url: str) -> App:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    app = web_app(tmp_path, ManualClock(T0), h5={"branches": ["第二支部"]}, web={"base_url": "http://dj.example.com"},
                  content={"plans": [str(plan)]}, database={"url": database_url})
    app.add_channel(RecordingChannel())
    add_platform_channels(app)
    app.start()
    return app


def test_a_plan_s_contest_runs_in_the_branch_s_virtual_group(tmp_path: Path, database_url: str,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    app = planned(tmp_path, database_url)
    with caplog.at_level(logging.INFO):
        app.schedule.pushes.run_plan("plan#微信群竞赛")
    with app.db.session() as session:
        contest = session.exec(select(ContestRow)).one()
        group = session.get(ChatGroup, contest.group_id)
        assert group is not None and group.channel == "h5" and group.name == group_name("第二支部")
        branch = session.get(Branch, group.branch_id)
        assert branch is not None and branch.name == "第二支部"  # the group stays in its branch
        assert session.exec(select(Branch).where(Branch.name == group_name("第二支部"))).first() is None
    assert contest.id is not None and contest.status == "running"
    assert f"http://dj.example.com/h5/contest/{contest.id}" in caplog.text  # the link for the secretary
    path = f"/h5/contest/{contest.id}"
    member = login(app, "钱七")  # 第二支部's member answers on the page
    answer = app.contests.by_id(contest.id).contest.current.answer.split("、")[0]  # type: ignore[union-attr]
    form = {"csrf": csrf_of(member, path), "question_key": f"contest:{contest.id}:q0", "choice": answer}
    told = member.post(f"{path}/answer", data=form)
    assert told.status_code == 200 and told.json()["ok"], told.text
    assert stored(app, contest.id) == [(0, "钱七", answer)]
    other = login(app, "张三")  # 第一支部's member: the question only
    page = other.get(path)
    assert "不能作答" in page.text and "钱七" not in page.text
    assert "钱七" not in client_for(app).get(path).text


def test_a_plan_s_items_pushed_to_the_branch_show_on_its_study_page(tmp_path: Path, database_url: str) -> None:
    app = planned(tmp_path, database_url)
    app.schedule.pushes.run_plan("plan#微信群学习")
    app.fire_due_timers()
    app.schedule.fire_due()
    mine = login(app, "钱七").get("/h5/study").text
    first = re.search(r'href="/h5/study/([^"]+)"', mine)
    assert first is not None and first[1] == "02-sanhui-yike", mine
    other = login(app, "张三").get("/h5/study").text
    assert re.search(r'href="/h5/study/([^"]+)"', other)[1] != "02-sanhui-yike"  # type: ignore[index]
