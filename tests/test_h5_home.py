"""The members' pages' start (/h5/): without a login only how to log in, coming back to where the visitor was; with
one, the member's name and what they can open."""

from __future__ import annotations

from pathlib import Path

from tests.web_helpers import client_for, login, web_app


def test_without_a_login_the_start_page_only_says_how_to_log_in(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    page = client_for(app).get("/h5/")
    assert page.status_code == 200
    assert "请先登录" in page.text and 'href="/h5/login?next=%2Fh5%2F"' in page.text
    assert "张三" not in page.text


def test_a_logged_in_member_sees_their_name_and_the_pages(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    page = login(app, "张三").get("/h5/")
    assert "张三，您好" in page.text and "每日一题" in page.text and "我的积分" in page.text
