"""The members' pages for the five viewers of tests/test_web_pages.py's role matrix: every one of them opens each
page as a member (their own question, items, points); logged out, a login button and no name or score. A
书记 or 管理员 sees no more here than a member: 我的积分 is their own, the rankings are chat's member view."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.h5_pages_helpers import chat
from tests.web_helpers import client_for, login, web_app

VIEWERS = {"admin": "老周", "secretary A": "张书记", "secretary B": "王书记", "member": "张三", "logged out": None}
PAGES = ["/h5/daily", "/h5/practice", "/h5/study", "/h5/study/02-sanhui-yike", "/h5/points", "/h5/ranking",
         "/h5/points?period=本年", "/h5/ranking?period=本月&category=学习"]


@pytest.mark.parametrize("who", list(VIEWERS))
def test_every_viewer_sees_only_their_own(tmp_path: Path, who: str) -> None:
    app = web_app(tmp_path)
    chat(app, "钱七", "已学 02-sanhui-yike")  # 第二支部's member has a ledger line
    name = VIEWERS[who]
    client = login(app, name) if name else client_for(app)
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, (path, who)
        if name is None:
            assert "请先登录" in page.text and "钱七" not in page.text and re.search(r"\d+ 分", page.text) is None
    if name is not None:
        mine = client.get("/h5/points").text
        assert f"{name} 的党建积分" in mine and "钱七" not in mine and "已学《" not in mine
