"""学习 and 三会一课 in a real browser at a phone's size: the funnel drawn by static/study.js with the vendored
ECharts (no inline script), the 三会一课 grid scrolling sideways inside its card, the period switch, and a meeting's
record. Screenshots: test-artifacts/dashboard-study-phone.png, dashboard-meetings-phone.png,
dashboard-meeting-record-phone.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.web import build_web
from tests.browser.conftest import screenshot
from tests.test_web_meetings import add_meetings, first_meeting
from tests.test_web_study import seed_study
from tests.web_helpers import link_for


@pytest.fixture
def dashboard(tmp_path: Path, serve: Any) -> tuple[App, str]:
    app = add_meetings(seed_study(tmp_path))
    return app, serve(build_web(app))


def enter(page: Any, base: str, name: str, app: App) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # a script or style that failed to load (the browser's own favicon.ico request aside)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.goto(base + link_for(app, name))
    page.get_by_role("button", name="进入管理后台").click()
    page.wait_for_url(base + "/")
    return errors


def test_study_draws_its_funnel_at_a_phones_size(dashboard: tuple[App, str], phone_page: Any) -> None:
    app, base = dashboard
    errors = enter(phone_page, base, "老周", app)
    phone_page.goto(base + "/study")
    phone_page.wait_for_selector("#study-funnel canvas")
    phone_page.wait_for_selector("#study-branches canvas")
    body = phone_page.inner_text("body")
    assert "推送到（人次）" in body and "即将推送" in body and "三会一课制度要点" in body
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390  # tables scroll in their card
    assert errors == []
    screenshot(phone_page, "dashboard-study-phone")


def test_meetings_grid_switch_and_a_record_at_a_phones_size(dashboard: tuple[App, str], phone_page: Any) -> None:
    app, base = dashboard
    errors = enter(phone_page, base, "张书记", app)
    phone_page.goto(base + "/meetings")
    assert phone_page.locator("td.cell.red").count() >= 1 and phone_page.locator("td.cell.green").count() >= 1
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone_page, "dashboard-meetings-phone")
    phone_page.select_option("select[name=period]", "quarter")
    phone_page.get_by_role("button", name="查看").click()
    phone_page.wait_for_url("**period=quarter**")
    assert "第一季度" in phone_page.inner_text("table.grid")
    phone_page.get_by_role("link", name="支部党员大会").first.click()
    phone_page.wait_for_url(f"**/meetings/{first_meeting(app, 'general_assembly')}")
    body = phone_page.inner_text("body")
    assert "补记（张书记）" in body and "请假" in body and "会议记录" in body
    assert errors == []
    screenshot(phone_page, "dashboard-meeting-record-phone")
