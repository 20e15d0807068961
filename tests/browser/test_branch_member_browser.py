"""支部 and 成员 in a real browser at a phone's size: a 书记 of 第一支部 opening a member of 第二支部 is refused
(403, no data), and a member's page renders within a phone's width, its tables scrolling inside their cards.
Screenshots: test-artifacts/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.web import build_web
from tests.browser.conftest import PHONE, screenshot
from tests.test_web_branch_member import with_records
from tests.test_web_pages import NOW, seeded
from tests.web_helpers import branch_ids, ids, link_for


@pytest.fixture
def dashboard(tmp_path: Path, serve: Any) -> tuple[App, str]:
    app = with_records(seeded(tmp_path))
    assert isinstance(app.clock, ManualClock) and app.clock.now() == NOW
    return app, serve(build_web(app))


def enter(page: Any, base: str, link: str) -> None:
    page.goto(base + link)
    page.get_by_role("button", name="进入管理后台").click()
    page.wait_for_url(re.compile(re.escape(base) + r"/(h5/)?$"))  # a plain member lands on /h5/


def test_a_secretary_of_one_branch_is_refused_a_member_of_another(dashboard: tuple[App, str],
                                                                  phone_page: Any) -> None:
    app, base = dashboard
    enter(phone_page, base, link_for(app, "张书记"))
    response = phone_page.goto(f"{base}/member/{ids(app)['钱七']}")
    assert response is not None and response.status == 403
    body = phone_page.inner_text("body")
    assert "无权查看该成员" in body and "钱七" not in body and "第二支部" not in body
    screenshot(phone_page, "member-refused-phone")
    response = phone_page.goto(f"{base}/branch/{branch_ids(app)['第二支部']}")
    assert response is not None and response.status == 403 and "第二支部群" not in phone_page.content()
    phone_page.goto(f"{base}/branch")  # their own branch, straight away
    assert phone_page.url.endswith(f"/branch/{branch_ids(app)['第一支部']}")
    assert "第一支部学习群" in phone_page.inner_text("body")
    screenshot(phone_page, "branch-phone")


def test_the_member_page_fits_a_phone(dashboard: tuple[App, str], phone_page: Any) -> None:
    app, base = dashboard
    errors: list[str] = []
    phone_page.on("pageerror", lambda error: errors.append(str(error)))
    enter(phone_page, base, link_for(app, "张三"))
    phone_page.goto(base + "/member")
    assert phone_page.url.endswith(f"/member/{ids(app)['张三']}")
    body = phone_page.inner_text("body")
    assert "积分明细" in body and "出席支部党员大会" in body and "第一支部学习群" in body and "错题本" in body
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width  # nothing wider than the phone: wide tables scroll in their card
    assert errors == []
    screenshot(phone_page, "member-phone")
