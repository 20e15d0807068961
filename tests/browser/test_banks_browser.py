"""题库 upload in a real browser at a phone's size: a bank with two bad rows is refused, both row numbers shown and
nothing imported; then a good one is imported and listed; a contest page draws its per-question chart.
Screenshots: test-artifacts/."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.web import build_web
from tests.browser.conftest import screenshot
from tests.test_web_banks import BAD, GOOD, stored_banks
from tests.test_web_contests import seeded
from tests.web_helpers import link_for, web_app

NOW = datetime(2026, 3, 4, 10, 0)


@pytest.fixture
def dashboard(tmp_path: Path, serve: Any) -> tuple[App, str]:
    app = web_app(tmp_path, ManualClock(NOW))
    return app, serve(build_web(app))


def enter(page: Any, base: str, link: str) -> None:
    page.goto(base + link)
    page.get_by_role("button", name="进入管理后台").click()
    page.wait_for_url(base + "/")


def test_a_bank_with_two_bad_rows_shows_both_rows_and_imports_nothing(dashboard: tuple[App, str], phone_page: Any,
                                                                      tmp_path: Path) -> None:
    app, base = dashboard
    errors: list[str] = []
    phone_page.on("pageerror", lambda error: errors.append(str(error)))
    enter(phone_page, base, link_for(app, "老周"))
    phone_page.goto(base + "/banks")
    bad = tmp_path / "有错的题库.csv"
    bad.write_text(BAD, encoding="utf-8")
    phone_page.set_input_files("input[type=file]", str(bad))
    phone_page.get_by_role("button", name="检查并导入").click()
    phone_page.wait_for_selector(".problems")
    problems = phone_page.inner_text(".problems")
    assert "有 2 处问题，未导入任何题目" in problems
    assert "有错的题库.csv 第 3 行" in problems and "有错的题库.csv 第 5 行" in problems
    assert stored_banks(app) == []
    screenshot(phone_page, "dashboard-bank-upload-problems-phone")
    good = tmp_path / "支部测验.csv"
    good.write_text(GOOD, encoding="utf-8")
    phone_page.set_input_files("input[type=file]", str(good))
    phone_page.get_by_role("button", name="检查并导入").click()
    phone_page.wait_for_selector(".ok")
    assert "已导入题库「支部测验」" in phone_page.inner_text(".ok")
    assert stored_banks(app) == ["支部测验"]
    assert errors == []


def test_a_contest_draws_its_per_question_chart(tmp_path: Path, serve: Any, phone_page: Any) -> None:
    app, made = seeded(tmp_path)
    base = serve(build_web(app))
    errors: list[str] = []
    phone_page.on("pageerror", lambda error: errors.append(str(error)))
    enter(phone_page, base, link_for(app, "老周"))
    phone_page.goto(f"{base}/contests/{made['c1']}")
    phone_page.wait_for_selector("#rates-chart canvas")
    assert "参赛成员成绩（3 人）" in phone_page.inner_text("body")
    assert errors == []
    screenshot(phone_page, "dashboard-contest-phone")
