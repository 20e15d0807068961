"""The members' pages for the five viewers of tests/test_web_pages.py's role matrix: every one of them opens each
page as a member (their own question, items, points); logged out, a login button and no name or score. A
书记 or 管理员 sees no more here than a member: 我的积分 is their own, the rankings are chat's member view."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.h5_contest_helpers import Live, csrf_of, stored
from tests.h5_pages_helpers import chat
from tests.helpers import advance_to
from tests.test_h5_contest_stream import served, stream
from tests.web_helpers import client_for, login, web_app

__all__ = ["served"]  # the fixture: the live contest behind uvicorn on loopback (for its Server-Sent Events)

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


# The live contest of 第一支部's chat group (tests/h5_contest_helpers.py) for the five viewers and a plain member of
# another branch: its branch's members, its secretary and the committee see the names and may answer; 第二支部's
# secretary and member, like a visitor without a login, see the question's text only — no name, no score.
CONTEST_VIEWERS = {**VIEWERS, "member B": "钱七"}
TAKES_PART = {"admin", "secretary A", "member"}
ANSWER_REFUSED = {"secretary B": 403, "member B": 403, "logged out": 401}


@pytest.mark.parametrize("who", list(CONTEST_VIEWERS))
def test_the_live_contest_shows_names_and_scores_only_to_its_branch(served: tuple[Live, str], who: str) -> None:
    live, base = served
    name = CONTEST_VIEWERS[who]
    client = login(live.app, name) if name else client_for(live.app)
    sees = who in TAKES_PART
    live.chat("李四", live.running().contest.current.answer.split("、")[0])
    events = stream(f"{base}{live.path}/events", dict(client.cookies))
    advance_to(live.app, live.clock, live.clock.now() + timedelta(seconds=10))  # the reveal: 李四 got it right
    event = events.get(timeout=5)
    assert event["question"]["number"] == 2
    assert ("李四" in str(event)) is sees and ("reveal" in event) is sees
    page = client.get(live.path)
    assert page.status_code == 200 and live.running().contest.current.text in page.text
    assert ("李四" in page.text) is sees and ('id="answer"' in page.text) is sees
    state = client.get(f"{live.path}/state").json()
    assert ("李四" in str(state)) is sees and ("mine" in state) is sees and ("key" in state["question"]) is sees
    token = csrf_of(client, live.path) if name else ""
    answer = live.running().contest.current.answer.split("、")[0]
    told = client.post(f"{live.path}/answer", data={"csrf": token, "question_key": live.key(1), "choice": answer})
    assert told.status_code == (200 if sees else ANSWER_REFUSED[who]), told.text
    assert (name in [n for _, n, _ in stored(live.app, live.contest_id)]) is sees
    advance_to(live.app, live.clock, live.clock.now() + timedelta(seconds=20))  # questions 2 and 3 close: results
    final = client.get(f"{live.path}/state").json()
    assert final["phase"] == ("results" if sees else "ended")
    assert ("李四" in str(final)) is sees and ("podium" in str(final)) is sees
    assert ("李四" in client.get(live.path).text) is sees
