"""/h5/study and /h5/study/{item} on a member's page: the items pushed to the member's branch and the library, a
reading page whose body cannot inject markup, and an 「已学」 button that is chat's 已学 (the same points, once)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bot.app import App
from bot.storage.models import StudyRead
from bot.storage.models_schedule import OutboxRow
from tests.h5_pages_helpers import chat, csrf_of, ledger
from tests.web_helpers import branch_ids, client_for, ids, login, web_app

ITEM = "02-sanhui-yike"
TITLE = "三会一课制度要点"


def pushed(app: App, item_id: str, branch: str = "第一支部") -> None:
    now = app.clock.now()
    with app.db.session() as session:
        session.add(OutboxRow(key=f"t:{item_id}:{branch}", kind="study", channel="local", chat_id="群", text="…",
                              item_id=item_id, branch_id=branch_ids(app)[branch], due_at=now - timedelta(hours=1),
                              created_at=now, status="sent", sent_at=now - timedelta(hours=1)))
        session.commit()


def reads(app: App, name: str) -> list[str]:
    with app.db.session() as session:
        return list(session.exec(select(StudyRead.item_id).where(StudyRead.member_id == ids(app)[name])).all())


def test_without_a_login_only_a_login_button(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    for path in ("/h5/study", f"/h5/study/{ITEM}"):
        page = client_for(app).get(path)
        assert page.status_code == 200 and "请先登录" in page.text and TITLE not in page.text
    sent = client_for(app).post(f"/h5/study/{ITEM}", data={})
    assert sent.status_code == 401 and reads(app, "张三") == []


def test_the_list_shows_what_was_pushed_to_the_branch_first(tmp_path: Path, database_url: str) -> None:
    app = web_app(tmp_path, database={"url": database_url})  # SQLite, and PostgreSQL with STUDYBOT_TEST_POSTGRES
    pushed(app, ITEM)
    pushed(app, "05-qinglian-wenhua", "第二支部")
    page = login(app, "张三").get("/h5/study")
    assert page.status_code == 200
    assert "今天的学习" in page.text and "全部学习资料" in page.text
    today, rest = page.text.split("全部学习资料", 1)
    assert TITLE in today and "清廉文化与廉洁从业" in rest  # the other branch's push is only in the library


def test_read_on_the_page_is_chat_s_已学_once(tmp_path: Path, database_url: str) -> None:
    app = web_app(tmp_path, database={"url": database_url})
    client = login(app, "张三")
    page = client.get(f"/h5/study/{ITEM}")
    assert page.status_code == 200 and TITLE in page.text and "已学（得 2 分）" in page.text
    assert "<script" not in page.text.split("<main>")[1]
    done = client.post(f"/h5/study/{ITEM}", data={"csrf": csrf_of(page.text)})
    assert done.status_code == 200 and f"✅ 张三 已学习《{TITLE}》，获得 2 分。" in done.text
    assert "已学（得" not in done.text
    chat(app, "李四", f"已学 {ITEM}")
    assert ledger(app, "张三") == ledger(app, "李四") == [(2, "study", "study", 0)]
    # chat after the page, then the page again: counted once
    assert "您已学过" in chat(app, "张三", f"已学 {ITEM}")
    again = client.post(f"/h5/study/{ITEM}", data={"csrf": csrf_of(page.text)})
    assert "您已学过" in again.text and reads(app, "张三") == [ITEM] and len(ledger(app, "张三")) == 1
    assert "✓ 已学" in client.get("/h5/study").text


def test_unknown_items_and_forged_tokens_store_nothing(tmp_path: Path) -> None:
    app = web_app(tmp_path)
    client = login(app, "张三")
    missing = client.get("/h5/study/no-such-item")
    assert missing.status_code == 404 and "没有找到学习资料「no-such-item」" in missing.text
    fragment = client.get("/h5/study/三会")  # chat's 学习 finds a title fragment; a page's link is exact
    assert fragment.status_code == 404
    page = client.get(f"/h5/study/{ITEM}")
    assert client.post("/h5/study/no-such-item", data={"csrf": csrf_of(page.text)}).status_code == 404
    assert client.post(f"/h5/study/{ITEM}", data={}).status_code == 403
    assert client.post(f"/h5/study/{ITEM}", data={"csrf": "forged"}).status_code == 403
    assert reads(app, "张三") == [] and ledger(app, "张三") == []
