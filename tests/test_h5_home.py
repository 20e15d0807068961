"""The members' pages' start (/h5/): without a login only how to log in, coming back to where the visitor was; with
one, the member's name and what they can open. A plain member's one-time link (「登录」 in a private chat) lands
here; a secretary's or the committee's on the dashboard."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web_helpers import client_for, link_for, login, press_enter, web_app


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


@pytest.mark.parametrize(("name", "lands"), [("老周", "/"), ("张书记", "/"), ("王书记", "/"), ("李四", "/"),
                                             ("张三", "/h5/"), ("钱七", "/h5/")])
def test_the_one_time_link_lands_a_plain_member_on_their_pages(tmp_path: Path, name: str, lands: str) -> None:
    app = web_app(tmp_path, meetings={"groups": {"党委会": ["李四"]}})  # 李四: a plain member who sits on 党委会
    client = client_for(app)
    entered = press_enter(client, link_for(app, name))
    assert entered.status_code == 303 and entered.headers["location"] == lands
    page = client.get(lands)
    assert page.status_code == 200 and name in page.text
    if lands == "/h5/":
        assert "每日一题" in page.text and "我的积分" in page.text
