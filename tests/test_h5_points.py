"""/h5/points (我的积分 with 积分明细) and /h5/ranking (排行榜, 支部排行): what chat's commands answer the member,
laid out as a page; nothing without a login; unknown words refused."""

from __future__ import annotations

import html
import re
from pathlib import Path

from tests.h5_pages_helpers import chat
from tests.web_helpers import client_for, login, web_app


def lines_of(text: str) -> str:
    return html.unescape(text)


def test_without_a_login_no_names_or_scores(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    chat(app, "李四", "已学 02-sanhui-yike")
    for path in ("/h5/points", "/h5/ranking"):
        page = client_for(app).get(path)
        assert page.status_code == 200 and "请先登录" in page.text
        assert "李四" not in page.text and re.search(r"\d+ 分", page.text) is None


def test_my_points_and_the_ledger_read_as_chat_says_them(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    chat(app, "张三", "已学 02-sanhui-yike")
    page = lines_of(login(app, "张三").get("/h5/points").text)
    for line in chat(app, "张三", "我的积分").splitlines() + chat(app, "张三", "积分明细").splitlines():
        assert line in page, line
    assert "张三 的党建积分（本月）" in page and "已学《三会一课制度要点》" in page
    year = lines_of(login(app, "张三").get("/h5/points?period=本年").text)
    assert "张三 的党建积分（本年）" in year and "张三 的积分明细（本年）" in year


def test_the_rankings_are_the_member_s_chat_view(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    chat(app, "李四", "已学 02-sanhui-yike")
    chat(app, "钱七", "已学 03-zhuti-dangri")
    client = login(app, "张三")
    page = lines_of(client.get("/h5/ranking").text)
    for line in chat(app, "张三", "排行榜").splitlines() + chat(app, "张三", "支部排行").splitlines():
        assert line in page, line
    quiz = lines_of(client.get("/h5/ranking?period=本月&category=答题").text)
    assert "党建积分排行榜（本月，答题）" in quiz and "暂无积分记录" in quiz
    assert quiz.count("李四") == 0


def test_unknown_words_are_refused(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    client = login(app, "张三")
    bad = client.get("/h5/ranking?period=明年")
    assert bad.status_code == 400 and "不认识的时间范围「明年」" in bad.text
    assert client.get("/h5/ranking?category=扣分").status_code == 400
    assert client.get("/h5/points?category=学习").status_code == 200  # no categories on 我的积分: ignored
