"""The live contest page (/h5/contest/{id}): answers from the page go through the chat's answer policy (one per
member per question, whichever comes first), every refusal says why and stores nothing, a page that reconnects reads
the current state, and without a login only the question's text shows. On SQLite, and on PostgreSQL too with
STUDYBOT_TEST_POSTGRES (the database_url fixture)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.h5_contest_helpers import GROUP, csrf_of, live_contest, stored
from tests.helpers import T0, advance_to, group_msg
from tests.web_helpers import client_for, login, web_app


def wrong(answer: str, choices: tuple[str, ...]) -> str:
    return next((c for c in choices if c not in answer), "不知道")


def pick(live, right: bool = True) -> str:  # type: ignore[no-untyped-def]
    from bot.services.contests.texts import choices

    contest = live.running().contest
    answer = contest.current.answer.split("、")[0]
    return answer if right else wrong(answer, choices(contest) or ("x",))


def test_the_start_message_and_the_starter_get_the_link(tmp_path: Path, database_url: str) -> None:
    live = live_contest(tmp_path, database={"url": database_url})
    link = f"http://dj.example.com/h5/contest/{live.contest_id}"
    assert f"微信群成员可点击链接参加：{link}" in live.started[0].text
    private = [m for m in live.started if not m.chat.is_group]
    assert [m.chat.chat_id for m in private] == ["张书记"] and link in private[0].text


def test_no_link_where_no_branch_is_on_wechat(tmp_path: Path, database_url: str) -> None:
    # h5.contest_links: auto, no h5.branches: an organisation wholly on WeCom/DingTalk
    app = web_app(tmp_path, database={"url": database_url})
    started = app.handle(group_msg("张书记", "开始竞赛 测试题库 3", GROUP))
    assert all("/h5/contest/" not in m.text for m in started) and all(m.chat.is_group for m in started)


def test_page_then_chat_counts_the_page_answer_only(tmp_path: Path, database_url: str) -> None:
    live = live_contest(tmp_path, database={"url": database_url})
    client = login(live.app, "张三")
    token = csrf_of(client, live.path)
    answer = pick(live)
    told = client.post(f"{live.path}/answer", data={"csrf": token, "question_key": live.key(0), "choice": answer})
    assert told.status_code == 200 and told.json()["ok"] and told.json()["message"].startswith("已作答第 1 题")
    live.chat("张三", wrong(answer, ("A", "B", "C", "D", "对", "错")))  # the chat answer comes second
    assert stored(live.app, live.contest_id) == [(0, "张三", answer)]


def test_chat_then_page_counts_the_chat_answer_only(tmp_path: Path, database_url: str) -> None:
    live = live_contest(tmp_path, database={"url": database_url})
    first = pick(live, right=False)
    live.chat("李四", first)
    client = login(live.app, "李四")
    told = client.post(f"{live.path}/answer", data={"csrf": csrf_of(client, live.path),
                                                    "question_key": live.key(0), "choice": pick(live)})
    assert told.status_code == 409 and not told.json()["ok"]
    assert f"您已作答（{first}），以第一次作答为准" in told.json()["message"]
    assert stored(live.app, live.contest_id) == [(0, "李四", first)]


def test_every_refusal_says_why_and_stores_nothing(tmp_path: Path, database_url: str) -> None:
    live = live_contest(tmp_path, database={"url": database_url})
    client = login(live.app, "张三")
    token = csrf_of(client, live.path)
    url = f"{live.path}/answer"

    def post(**fields: str) -> tuple[int, str]:
        choice = pick(live) if live.running() is not None else "A"
        response = client.post(url, data={"csrf": token, "question_key": live.key(0), "choice": choice, **fields})
        return response.status_code, response.json()["message"]

    assert post(csrf="forged")[0] == 403
    assert post(question_key="contest:9999:q0") == (409, "这张答题卡所在的竞赛已经结束，本次点击不计分。")
    assert post(question_key="q0; drop table") == (409, "无法识别这张答题卡，请在最新的题目卡片上作答。")
    assert post(question_key=live.key(1)) == (409, "无法识别这张答题卡，请在最新的题目卡片上作答。")
    assert post(choice="") == (400, "请先选择或填写答案。")
    assert client_for(live.app).post(url, data={"choice": "A"}).status_code == 401
    assert stored(live.app, live.contest_id) == []
    live.clock.set(live.clock.now() + timedelta(seconds=11))  # past the deadline, before the timer's tick
    status, message = post()
    assert status == 409 and "作答时间已到" in message
    assert stored(live.app, live.contest_id) == []
    advance_to(live.app, live.clock, live.clock.now())  # question 2 opens
    assert post(question_key=live.key(0)) == (409, "第 1 题已经结束，请在第 2 题的卡片上作答。")
    assert post(question_key=live.key(1))[0] == 200
    assert post(question_key=live.key(1))[1].startswith("第 2 题您已作答")
    assert len(stored(live.app, live.contest_id)) == 1
    live.chat("张书记", "结束竞赛")
    assert post(question_key=live.key(2), choice="A") == (410, "本场竞赛已经结束，作答不计分。")
    assert len(stored(live.app, live.contest_id)) == 1


def test_a_member_of_another_branch_sees_the_question_but_cannot_answer(tmp_path: Path, database_url: str) -> None:
    live = live_contest(tmp_path, database={"url": database_url})
    other = login(live.app, "钱七")
    page = other.get(live.path)
    assert page.status_code == 200 and "不能作答" in page.text and 'id="answer"' not in page.text
    import re

    token = re.search(r'data-csrf="([^"]*)"', page.text)
    assert token is not None
    told = other.post(f"{live.path}/answer", data={"csrf": token[1], "question_key": live.key(0), "choice": "A"})
    assert told.status_code == 403 and told.json()["message"] == "这是其他支部的竞赛，您不能作答。"
    assert stored(live.app, live.contest_id) == []


def test_without_a_login_only_the_question_and_a_login_button(tmp_path: Path, database_url: str) -> None:
    live = live_contest(tmp_path, database={"url": database_url})
    live.chat("李四", pick(live))
    question = live.running().contest.current
    page = client_for(live.app).get(live.path)
    assert page.status_code == 200 and question.text in page.text
    assert "登录后作答" in page.text and f"/h5/login?next=%2Fh5%2Fcontest%2F{live.contest_id}" in page.text
    assert "李四" not in page.text and "张书记" not in page.text and 'id="answer"' not in page.text
    state = client_for(live.app).get(f"{live.path}/state").json()
    assert state["question"]["text"] == question.text and "key" not in state["question"] and "mine" not in state
    advance_to(live.app, live.clock, live.clock.now() + timedelta(seconds=11))
    state = client_for(live.app).get(f"{live.path}/state").json()
    assert "reveal" not in state and "李四" not in str(state)


def test_reconnect_reads_the_question_the_time_left_and_the_member_s_answer(tmp_path: Path, database_url: str) -> None:
    live = live_contest(tmp_path, database={"url": database_url})
    client = login(live.app, "张三")
    token = csrf_of(client, live.path)
    live.clock.set(live.clock.now() + timedelta(seconds=4))
    answer = pick(live)
    client.post(f"{live.path}/answer", data={"csrf": token, "question_key": live.key(0), "choice": answer})
    state = client.get(f"{live.path}/state").json()
    assert state["phase"] == "question" and state["question"]["key"] == live.key(0)
    assert state["question"]["remaining_ms"] == 6000 and state["mine"] == {"answered": True, "answer": answer}
    advance_to(live.app, live.clock, live.clock.now() + timedelta(seconds=6))  # the reveal and question 2
    state = client.get(f"{live.path}/state").json()
    assert state["question"]["number"] == 2 and state["question"]["remaining_ms"] == 10000
    assert state["mine"] == {"answered": False, "answer": ""}
    assert state["reveal"]["number"] == 1 and state["reveal"]["names"] == ["张三"]
    assert state["reveal"]["correct"] == 1


def test_the_results_after_the_last_question(tmp_path: Path, database_url: str) -> None:
    live = live_contest(tmp_path, questions=1, database={"url": database_url})
    client = login(live.app, "张三")
    client.post(f"{live.path}/answer", data={"csrf": csrf_of(client, live.path), "question_key": live.key(0),
                                             "choice": pick(live)})
    advance_to(live.app, live.clock, T0 + timedelta(seconds=11))
    state = client.get(f"{live.path}/state").json()
    assert state["phase"] == "results" and state["results"]["podium"][0]["name"] == "张三"
    page = client.get(live.path)
    assert "本场竞赛已经结束" in page.text or state["phase"] == "results"
    assert client_for(live.app).get("/h5/contest/99999").status_code == 404
    assert client_for(live.app).get("/h5/contest/abc").status_code == 404


def test_a_branch_on_wechat_takes_part_in_a_round_by_its_virtual_group(tmp_path: Path, database_url: str) -> None:
    from bot.channels.registry import add_platform_channels
    from bot.services.contests.planned import RoundOrder, start_round
    from tests.helpers import RecordingChannel

    app = web_app(tmp_path, h5={"branches": ["第二支部"]}, web={"base_url": "http://dj.example.com"},
                  database={"url": database_url})
    app.add_channel(RecordingChannel())
    add_platform_channels(app)
    app.start()
    app.handle(group_msg("张三", "你好", GROUP))  # the bot knows 第一支部's chat group
    messages = start_round(app.rounds, app.db, app.channels.keys, RoundOrder(questions=2), T0)  # type: ignore[arg-type]
    h5 = [m for m in messages if m.chat.channel == "h5"]
    assert h5 and h5[0].chat.chat_id == "第二支部"
    assert "微信群成员可点击链接参加：http://dj.example.com/h5/contest/" in h5[0].text
    app.send(messages)  # the h5 channel takes its messages quietly (the page gets the steps)
    contest_id = int(h5[0].text.rsplit("/", 1)[1])
    client = login(app, "钱七")
    page = client.get(f"/h5/contest/{contest_id}")
    assert page.status_code == 200 and 'id="answer"' in page.text
