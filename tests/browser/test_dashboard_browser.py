"""The dashboard in a real browser at a phone's size: a one-time link logs a 管理员 in and cannot be used twice,
总览 draws its chart with the vendored ECharts (no inline script: the CSP would stop one), 排行 filters by 本月 and
a 支部 without a page reload, and a 书记 asking for another branch is refused. Screenshots: test-artifacts/."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.storage.models import DailyAnswer
from bot.storage.points import award_points
from bot.storage.study import mark_read
from bot.web import build_web
from bot.web.pages.login import LINK_GONE
from tests.browser.conftest import screenshot
from tests.web_helpers import branch_ids, ids, link_for, web_app

NOW = datetime(2026, 3, 4, 10, 0)


@pytest.fixture
def dashboard(tmp_path: Path, serve: Any) -> tuple[App, str]:
    app = web_app(tmp_path, ManualClock(NOW))
    people = ids(app)
    with app.db.session() as session:
        for name, amount in (("张三", 12), ("李四", 7), ("钱七", 9)):
            award_points(session=session, member_id=people[name], amount=amount, reason="daily", source=f"d:{name}",
                         now=datetime(2026, 3, 3, 9))
            session.add(DailyAnswer(member_id=people[name], day="2026-03-03", question_key="q", bank="党建基础知识",
                                    asked_at=datetime(2026, 3, 3, 9), answer="A", correct=name != "李四",
                                    answered_at=datetime(2026, 3, 3, 9, 1)))
            mark_read(session=session, member_id=people[name], item_id="02-sanhui-yike", now=datetime(2026, 3, 3, 12))
        award_points(session=session, member_id=people["张三"], amount=5, reason="meeting", source="m:1",
                     now=datetime(2026, 2, 24, 15), note="支部党员大会")
        session.commit()
    return app, serve(build_web(app))


def enter(page: Any, base: str, link: str) -> None:
    page.goto(base + link)
    page.get_by_role("button", name="进入管理后台").click()
    page.wait_for_url(base + "/")


def test_a_link_logs_in_once_and_the_overview_draws_its_chart(dashboard: tuple[App, str], phone_page: Any) -> None:
    app, base = dashboard
    errors: list[str] = []
    phone_page.on("pageerror", lambda error: errors.append(str(error)))
    link = link_for(app, "老周")
    enter(phone_page, base, link)
    assert "参与人数" in phone_page.inner_text("body")
    phone_page.wait_for_selector("#points-chart canvas, #points-chart svg")  # ECharts drew it
    assert errors == []  # nor did the CSP stop a script
    screenshot(phone_page, "dashboard-overview-phone")
    second = phone_page.context.browser.new_context().new_page()  # the same link, from another browser
    response = second.goto(base + link)
    assert response is not None and response.status == 410 and LINK_GONE in second.inner_text("body")
    second.context.close()


def test_the_ranking_filters_by_month_and_branch_without_a_reload(dashboard: tuple[App, str],
                                                                    phone_page: Any) -> None:
    app, base = dashboard
    enter(phone_page, base, link_for(app, "老周"))
    phone_page.goto(base + "/ranking")
    phone_page.evaluate("window.notReloaded = true")
    phone_page.select_option("select[name=period]", "month")
    phone_page.select_option("select[name=branch]", str(branch_ids(app)["第一支部"]))
    phone_page.wait_for_function("() => !document.querySelector('#ranking-table').innerText.includes('钱七')")
    table = phone_page.inner_text("#ranking-table")
    assert "张三" in table and "李四" in table and "钱七" not in table
    assert phone_page.evaluate("window.notReloaded") is True  # htmx swapped the table, the page stayed
    screenshot(phone_page, "dashboard-ranking-phone")


def test_a_secretary_is_refused_another_branch(dashboard: tuple[App, str], phone_page: Any) -> None:
    app, base = dashboard
    enter(phone_page, base, link_for(app, "张书记"))
    response = phone_page.goto(f"{base}/ranking?branch={branch_ids(app)['第二支部']}")
    assert response is not None and response.status == 403
    assert "钱七" not in phone_page.inner_text("body")
