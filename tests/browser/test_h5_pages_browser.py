"""The members' pages in a real browser at a phone's size: 每日一题 answered with a tap (the verdict with 解析), an
item read and 「已学」 pressed (the points as chat gives them), 我的积分 showing both. Screenshots: test-artifacts/."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from bot.clock import ManualClock
from bot.web import build_web
from tests.browser.conftest import screenshot
from tests.h5_pages_helpers import daily_question, ledger
from tests.web_helpers import link_for, web_app

NOW = datetime(2026, 3, 4, 10, 0)


def test_daily_question_and_read_on_a_phone(tmp_path: Path, serve: Any, phone_page: Any) -> None:
    app = web_app(tmp_path, ManualClock(NOW))
    base = serve(build_web(app))
    errors: list[str] = []
    phone_page.on("pageerror", lambda error: errors.append(str(error)))
    phone_page.goto(base + link_for(app, "张三"))
    phone_page.get_by_role("button", name="进入管理后台").click()
    phone_page.wait_for_url(base + "/h5/")  # a plain member's link lands on their pages

    phone_page.goto(base + "/h5/daily")
    question = daily_question(app, "张三")
    assert question.text in phone_page.inner_text("main")
    screenshot(phone_page, "h5-daily-question-phone")
    if question.type.value == "blank":
        phone_page.fill("input[name=answer]", question.blanks[0][0])
        phone_page.get_by_role("button", name="提交").click()
    elif question.type.value == "multiple":
        for letter in question.answer:
            phone_page.check(f"input[name=choice][value={letter}]")
        phone_page.get_by_role("button", name="提交").click()
    else:
        phone_page.click(f"button[name=answer][value='{question.answer}']")
    phone_page.wait_for_selector(".lines p.ok")
    assert "张三 答对了！" in phone_page.inner_text("main")
    screenshot(phone_page, "h5-daily-verdict-phone")

    phone_page.goto(base + "/h5/study")
    screenshot(phone_page, "h5-study-list-phone")
    phone_page.click("a[href='/h5/study/02-sanhui-yike']")
    phone_page.get_by_role("button", name="已学（得 2 分）").click()
    phone_page.wait_for_selector(".lines p.ok")
    assert "已学习《三会一课制度要点》，获得 2 分" in phone_page.inner_text("main")
    screenshot(phone_page, "h5-study-read-phone")
    assert sorted(e[1] for e in ledger(app, "张三")) == ["daily", "study"]

    phone_page.goto(base + "/h5/points")
    assert "张三 的积分明细（本月）" in phone_page.inner_text("main")
    screenshot(phone_page, "h5-points-phone")
    phone_page.goto(base + "/h5/ranking")
    screenshot(phone_page, "h5-ranking-phone")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone
    assert errors == []
