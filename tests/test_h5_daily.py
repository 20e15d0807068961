"""/h5/daily (每日一题) on a member's page: the same question chat's 每日一题 gives the member, the same verdict,
解析, 出处, points and notes as in chat, counted once whichever way it is answered; bad input stores nothing."""

from __future__ import annotations

from pathlib import Path

from tests.h5_pages_helpers import chat, daily_question, daily_row, ledger, post, wrong_answer
from tests.web_helpers import client_for, login, web_app


def test_without_a_login_the_page_shows_a_login_button_and_no_question(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    page = client_for(app).get("/h5/daily")
    assert page.status_code == 200
    assert "请先登录" in page.text and 'href="/h5/login?next=%2Fh5%2Fdaily"' in page.text
    assert 'name="answer"' not in page.text and daily_row(app, "张三") is None
    sent = client_for(app).post("/h5/daily", data={"answer": "A"})
    assert sent.status_code == 401 and "请先登录" in sent.text and daily_row(app, "张三") is None


def test_the_page_gives_the_question_chat_gives_and_a_right_answer_earns_what_chat_pays(
        tmp_path: Path, database_url: str) -> None:
    app = web_app(tmp_path, database={"url": database_url})  # SQLite, and PostgreSQL with STUDYBOT_TEST_POSTGRES
    client = login(app, "张三")
    page = client.get("/h5/daily")
    assert page.status_code == 200 and "每日一题" in page.text
    question = daily_question(app, "张三")
    assert question.text in page.text
    assert question.text in chat(app, "张三", "每日一题")  # chat asks the same question
    done = post(client, "/h5/daily", page.text, answer=question.answer if question.type.value != "blank"
                else question.blanks[0][0])
    assert done.status_code == 200 and "张三 答对了！" in done.text
    if question.explanation:
        assert f"解析：{question.explanation}" in done.text
    # 李四 answers in chat: the same points, reason and category as the page stored for 张三
    chat(app, "李四", "每日一题")
    other = daily_question(app, "李四")
    chat(app, "李四", other.answer if other.type.value != "blank" else other.blanks[0][0])
    assert ledger(app, "张三") == ledger(app, "李四") == [(app.settings.points.daily, "daily", "quiz", 0)]
    # and once answered, chat says it is done; an answer typed there changes nothing
    assert "今天的每日一题您已完成（答对了 ✅）" in chat(app, "张三", "每日一题")
    assert "已完成" in client.get("/h5/daily").text
    assert len(ledger(app, "张三")) == 1


def test_answered_in_chat_first_the_page_counts_nothing_more(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    client = login(app, "张三")
    page = client.get("/h5/daily")  # the page open, the answer then given in chat
    question = daily_question(app, "张三")
    chat(app, "张三", question.answer if question.type.value != "blank" else question.blanks[0][0])
    again = post(client, "/h5/daily", page.text, answer=question.answer)
    assert again.status_code == 409 and "今天的每日一题您已完成" in again.text
    assert len(ledger(app, "张三")) == 1


def test_a_wrong_answer_shows_the_right_one_and_goes_to_the_mistakes(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    client = login(app, "张三")
    page = client.get("/h5/daily")
    question = daily_question(app, "张三")
    done = post(client, "/h5/daily", page.text, answer=wrong_answer(question))
    assert "张三 答错了" in done.text and "答错的题已记入「错题本」" in done.text
    assert ledger(app, "张三") == []
    row = daily_row(app, "张三")
    assert row is not None and row.correct is False
    twice = post(client, "/h5/daily", page.text, answer=question.answer)
    assert twice.status_code == 409 and "已完成" in twice.text
    row = daily_row(app, "张三")
    assert row is not None and row.correct is False and ledger(app, "张三") == []


def test_bad_input_is_refused_clearly_and_nothing_is_stored(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    client = login(app, "张三")
    page = client.get("/h5/daily")
    question = daily_question(app, "张三")
    if question.type.value in ("single", "multiple", "judge"):
        bad = post(client, "/h5/daily", page.text, answer="Z")
        assert bad.status_code == 400 and "答案无效" in bad.text
    forged = post(client, "/h5/daily", page.text, answer=question.answer, key="0123456789abcdef")
    assert forged.status_code == 409 and "请刷新页面" in forged.text
    no_token = client.post("/h5/daily", data={"answer": question.answer})
    assert no_token.status_code == 403 and "页面已过期" in no_token.text
    wrong_token = client.post("/h5/daily", data={"answer": question.answer, "csrf": "x" * 20})
    assert wrong_token.status_code == 403
    row = daily_row(app, "张三")
    assert row is not None and row.answer is None and ledger(app, "张三") == []
