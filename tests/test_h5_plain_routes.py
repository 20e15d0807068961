"""The live contest page's answers and event streams are plain ASGI routes in front of the framework
(bot/web/plain.py, bot/web/h5/live_routes.py): they carry the dashboard's headers, renew the session cookie as every
page does, read a form however it is sent, refuse an oversized one, and show the dashboard's page for an unknown
contest."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.h5_contest_helpers import csrf_of, live_contest, stored
from tests.web_helpers import login


def test_an_answer_carries_the_dashboard_s_headers_and_a_renewed_cookie(tmp_path: Path) -> None:
    live = live_contest(tmp_path)
    client = login(live.app, "张三")
    token = csrf_of(client, live.path)
    answer = live.running().contest.current.answer.split("、")[0]
    told = client.post(f"{live.path}/answer", data={"csrf": token, "question_key": live.key(0), "choice": answer})
    assert told.status_code == 200 and told.json()["ok"], told.text
    headers = told.headers
    assert headers["content-type"] == "application/json" and headers["cache-control"] == "no-store"
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"] and "set-cookie" not in headers
    live.clock.set(live.clock.now() + timedelta(seconds=61))  # a minute after the session's last use
    again = client.post(f"{live.path}/answer", data={"csrf": token, "question_key": live.key(0), "choice": answer})
    assert again.status_code == 409 and "作答时间已到" in again.json()["message"]
    assert "studybot_session=" in again.headers["set-cookie"] and "httponly" in again.headers["set-cookie"].lower()
    assert stored(live.app, live.contest_id) == [(0, "张三", answer)]


def test_a_multipart_form_counts_and_an_oversized_one_is_refused(tmp_path: Path) -> None:
    live = live_contest(tmp_path)
    client = login(live.app, "张三")
    token = csrf_of(client, live.path)
    huge = client.post(f"{live.path}/answer", data={"csrf": token, "question_key": live.key(0), "choice": "A" * 20_000})
    assert huge.status_code == 413 and huge.json()["message"] == "提交的内容过长，请刷新页面后重新作答。"
    assert stored(live.app, live.contest_id) == []
    answer = live.running().contest.current.answer.split("、")[0]
    fields = {"csrf": (None, token), "question_key": (None, live.key(0)), "choice": (None, answer)}
    told = client.post(f"{live.path}/answer", files=fields)
    assert told.status_code == 200 and told.json()["ok"], told.text
    assert stored(live.app, live.contest_id) == [(0, "张三", answer)]


def test_the_stream_of_an_unknown_contest_is_the_dashboard_s_page(tmp_path: Path) -> None:
    live = live_contest(tmp_path)
    page = login(live.app, "张三").get("/h5/contest/99999/events")
    assert page.status_code == 404 and "没有这场竞赛，请检查链接是否完整。" in page.text
    assert page.headers["x-frame-options"] == "DENY" and page.headers["cache-control"] == "no-store"


def test_the_answer_form_reads_as_parse_qsl_reads_it() -> None:
    import random
    from urllib.parse import parse_qsl

    from bot.web.plain import url_form

    rng = random.Random(7)
    bodies = [b"csrf=abc&question_key=contest%3A1%3Aq0&choice=%E5%AF%B9", b"a=1&a=2&b", b"&&x=&y=a+b%2Bc",
              b"k=%zz%E5", b"=v&n=", "选=是".encode(), b"a=b=c", b"%E5%AF=1"]
    bodies += [bytes(rng.choice(b"ab=&%+2E5AF") for _ in range(rng.randint(0, 14))) for _ in range(500)]
    for body in bodies:
        assert url_form(body) == dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)), body
