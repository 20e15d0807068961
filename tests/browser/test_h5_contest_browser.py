"""The live contest page in a real browser at a phone's size, alongside the chat group: 张三 plays a 3-question
contest on the page while 李四 answers in the group; the page follows each step by Server-Sent Events (the reveal
with the names, the next question, the results); a visitor without a login sees only the question and a login
button. Screenshots: test-artifacts/h5-contest-*.png."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.web import build_web
from tests.browser.conftest import screenshot
from tests.h5_contest_helpers import Live, live_contest, stored
from tests.helpers import advance_to
from tests.web_helpers import link_for


def answer_on_page(page: Any, live: Live) -> str:
    question = live.running().contest.current
    answer = question.answer.split("、")[0]
    if question.type.value in ("single", "judge"):
        page.locator("#choices button", has_text=answer).click()
    elif question.type.value == "multiple":
        for letter in answer:
            page.locator("#choices button", has_text=letter).click()
        page.locator("#submit").click()
    else:
        page.fill("#blank", answer)
        page.locator("#submit").click()
    page.wait_for_selector("#note:has-text('已作答')")
    return answer


def test_a_contest_on_the_page_alongside_the_chat_group(tmp_path: Path, serve: Any, phone_page: Any,
                                                        chromium: Any) -> None:
    live = live_contest(tmp_path)
    base = serve(build_web(live.app))
    errors: list[str] = []
    phone_page.on("pageerror", lambda error: errors.append(str(error)))
    phone_page.goto(base + link_for(live.app, "张三"))
    phone_page.get_by_role("button", name="进入管理后台").click()
    phone_page.wait_for_load_state()
    phone_page.goto(base + live.path)
    phone_page.wait_for_selector("#live:has-text('实时')")
    assert "第 1/3 题" in phone_page.inner_text("#progress") and "剩余" in phone_page.inner_text("#timer")
    answers = [answer_on_page(phone_page, live)]
    live.chat("李四", "A")
    screenshot(phone_page, "h5-contest-q1-answered")
    for number in (2, 3):
        advance_to(live.app, live.clock, live.clock.now() + timedelta(seconds=10))
        phone_page.wait_for_selector(f"#progress:has-text('第 {number}/3')")
        assert f"第 {number - 1} 题答案" in phone_page.inner_text("#reveal")
        if number == 2:
            assert "张三" in phone_page.inner_text("#reveal")
            screenshot(phone_page, "h5-contest-q2-reveal")
            live.chat("李四", "对")  # 李四 first, in the group
        answers.append(answer_on_page(phone_page, live))
    advance_to(live.app, live.clock, live.clock.now() + timedelta(seconds=10))
    phone_page.wait_for_selector("#results:not([hidden])")
    assert "竞赛结束" in phone_page.inner_text("#results") and "张三" in phone_page.inner_text("#results")
    screenshot(phone_page, "h5-contest-results")
    assert errors == []
    mine = [a for (_, name, a) in stored(live.app, live.contest_id) if name == "张三"]
    assert len(mine) == 3 and [a.replace("、", "") for a in mine] != []


def test_without_a_login_the_page_shows_the_question_and_a_login_button(tmp_path: Path, serve: Any,
                                                                         phone_page: Any) -> None:
    live = live_contest(tmp_path)
    live.chat("李四", "A")
    base = serve(build_web(live.app))
    phone_page.goto(base + live.path)
    body = phone_page.inner_text("body")
    assert live.running().contest.current.text in body and "登录后作答" in body and "李四" not in body
    screenshot(phone_page, "h5-contest-public")
