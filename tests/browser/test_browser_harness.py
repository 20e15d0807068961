"""The browser harness itself: Debian's chromium, driven by Playwright, opens a page the real app serves on
loopback, at a phone's size, and a screenshot is kept. The dashboard's own browser tests build on these fixtures."""

from __future__ import annotations

import json
from typing import Any

from bot.web import build_web
from tests.browser.conftest import PHONE, screenshot


def test_chromium_opens_the_services_health_page_at_a_phones_size(app: Any, serve: Any, phone_page: Any) -> None:
    base = serve(build_web(app))
    response = phone_page.goto(f"{base}/healthz")
    assert response is not None and response.status == 200
    assert json.loads(phone_page.inner_text("body"))["ok"] is True
    assert phone_page.viewport_size == PHONE
    assert screenshot(phone_page, "healthz-phone").stat().st_size > 0
