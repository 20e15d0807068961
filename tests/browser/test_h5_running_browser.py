"""「进行中的竞赛」 on /h5/ at a phone's size: 张三 opens the pinned /h5/ link while his branch's contest runs, sees it
listed and taps 「进入竞赛」 to its live page. Screenshot: test-artifacts/h5-home-running-phone.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.web import build_web
from tests.browser.conftest import screenshot
from tests.h5_contest_helpers import live_contest
from tests.web_helpers import link_for


def test_the_start_page_lists_the_running_contest(tmp_path: Path, serve: Any, phone_page: Any) -> None:
    live = live_contest(tmp_path)
    base = serve(build_web(live.app))
    phone_page.goto(base + link_for(live.app, "张三"))
    phone_page.get_by_role("button", name="进入管理后台").click()
    phone_page.wait_for_load_state()
    phone_page.goto(base + "/h5/")
    running = phone_page.inner_text("section.running")
    assert "进行中的竞赛" in running and "测试题库" in running and "进入竞赛" in running
    screenshot(phone_page, "h5-home-running-phone")
    phone_page.get_by_role("link", name="进入竞赛").click()
    phone_page.wait_for_url(f"**{live.path}")
    phone_page.wait_for_selector("#live:has-text('实时')")
