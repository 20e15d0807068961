"""/h5/practice (错题练习) on a member's page: the mistakes chat's 错题练习 would ask, one at a time, with the same
verdict and points (once per question); the chat and the page share the pending question."""

from __future__ import annotations

from pathlib import Path

from bot.app import App
from tests.h5_pages_helpers import chat, daily_question, ledger, post, wrong_answer
from tests.web_helpers import client_for, login, web_app


def right(question) -> str:  # noqa: ANN001
    return question.answer if question.type.value != "blank" else question.blanks[0][0]


def a_mistake(app: App, name: str) -> None:
    """The member answers their 每日一题 wrong in chat: a question in their 错题本."""
    chat(app, name, "每日一题")
    chat(app, name, wrong_answer(daily_question(app, name)))


def test_without_a_login_a_login_button_and_nothing_else(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    a_mistake(app, "张三")
    page = client_for(app).get("/h5/practice")
    assert page.status_code == 200 and "请先登录" in page.text and "答错" not in page.text
    assert daily_question(app, "张三").text not in page.text


def test_an_empty_book_says_so(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    page = login(app, "张三").get("/h5/practice")
    assert page.status_code == 200 and "错题本里没有题目" in page.text and 'name="key"' not in page.text


def test_a_mistake_corrected_on_the_page_earns_what_chat_pays_once(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    a_mistake(app, "张三")
    a_mistake(app, "李四")
    client = login(app, "张三")
    page = client.get("/h5/practice")
    question = daily_question(app, "张三")
    assert page.status_code == 200 and question.text in page.text and "错题本共 1 题" in page.text
    assert question.text in chat(app, "张三", "错题练习")  # chat asks the same pending question
    done = post(client, "/h5/practice", page.text, answer=right(question))
    assert "张三 答对了！" in done.text and "错题本已清空" in done.text
    chat(app, "李四", "错题练习")
    chat(app, "李四", right(daily_question(app, "李四")))
    practice = app.settings.points.practice
    assert [e for e in ledger(app, "张三") if e[1] == "practice"] == [(practice, "practice", "quiz", 0)]
    assert [e for e in ledger(app, "李四") if e[1] == "practice"] == [(practice, "practice", "quiz", 0)]
    again = post(client, "/h5/practice", page.text, answer=right(question))  # the same form sent twice
    assert again.status_code == 409 and "已作答" in again.text
    assert len(ledger(app, "张三")) == 1


def test_answered_in_chat_the_open_page_is_refused(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    a_mistake(app, "张三")
    client = login(app, "张三")
    page = client.get("/h5/practice")
    question = daily_question(app, "张三")
    chat(app, "张三", right(question))
    late = post(client, "/h5/practice", page.text, answer=right(question))
    assert late.status_code == 409 and [e[1] for e in ledger(app, "张三")] == ["practice"]


def test_bad_input_stores_nothing(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    a_mistake(app, "张三")
    client = login(app, "张三")
    page = client.get("/h5/practice")
    question = daily_question(app, "张三")
    assert post(client, "/h5/practice", page.text, answer="").status_code == 400
    assert client.post("/h5/practice", data={"answer": right(question)}).status_code == 403
    assert post(client, "/h5/practice", page.text, answer=right(question), key="f" * 16).status_code == 409
    assert ledger(app, "张三") == []
    assert question.text in client.get("/h5/practice").text  # still pending
