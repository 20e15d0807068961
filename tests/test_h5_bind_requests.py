"""申请绑定: a member with no code asks on /h5/bind (name + an optional note); the branch's 书记 and 委员 are told
privately through the outbox and see the request on the dashboard (/branch/{id}/binding); approval binds the account
as a code does and the member's next visit is silent; refusal lets the account ask again. Refused with a clear
message and nothing stored: a name not on the roster, a member already bound, a second request while one waits,
too many requests, a decision by another branch's secretary, a forged form, a request decided twice."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from bot.app import App
from bot.clock import ManualClock
from bot.storage.bind_codes import TOO_MANY
from bot.storage.bind_requests import ASK_LIMIT, NOT_ON_ROSTER, NOT_YOURS
from bot.storage.models import Identity, Member
from bot.storage.models_schedule import OutboxRow
from bot.storage.models_web import BindRequest
from bot.web.auth import SESSION_COOKIE
from tests.helpers import T0
from tests.test_h5_login import audits, bind, bound, codes_for, mp_app, official_account, via_wechat
from tests.web_helpers import branch_ids, client_for, ids, login, web_app


def ask(client: TestClient, name: str, note: str = "", **more: str) -> httpx.Response:
    page = client.get("/h5/bind")
    assert page.status_code == 200, page.text
    token = re.search(r'name="t" value="([^"]+)"', page.text)
    assert token is not None
    return client.post("/h5/bind/request", data={"t": token[1], "name": name, "note": note, **more})


def requests_of(app: App) -> list[tuple[str, str, str]]:
    """(openid, member, status) of every request."""
    with app.db.session() as session:
        rows = session.exec(select(BindRequest, Member).join(Member, Member.id == BindRequest.member_id)
                            .order_by(BindRequest.id)).all()
        return [(r.openid, m.name, r.status) for r, m in rows]


def notices(app: App) -> dict[str, str]:
    """The private outbox rows about requests: account → text."""
    with app.db.session() as session:
        return {row.chat_id: row.text for row in session.exec(select(OutboxRow).where(OutboxRow.key.startswith(
            "bind-request:")))}  # type: ignore[attr-defined]


def decisions(app: App) -> list[tuple[str, str, str | None]]:
    """The outbox rows telling the accounts that asked what was decided: (account, text, link)."""
    with app.db.session() as session:
        return [(row.chat_id, row.text, row.link) for row in session.exec(select(OutboxRow).where(
            OutboxRow.key.startswith("bind-decided:")).order_by(OutboxRow.id))]  # type: ignore[attr-defined]


def binding_page(client: TestClient, app: App, branch: str = "第一支部") -> httpx.Response:
    return client.get(f"/branch/{branch_ids(app)[branch]}/binding")


def decide(client: TestClient, app: App, decision: str, request_id: int | None = None, branch: str = "第一支部",
           csrf: str | None = None) -> httpx.Response:
    page = binding_page(client, app, branch).text
    if request_id is None:
        found = re.search(r'action="/branch/\d+/binding/requests/(\d+)"', page)
        assert found is not None, page
        request_id = int(found[1])
    if csrf is None:
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token is not None
        csrf = token[1]
    return client.post(f"/branch/{branch_ids(app)[branch]}/binding/requests/{request_id}",
                       data={"csrf": csrf, "decision": decision})


def last_request_id(app: App) -> int:
    with app.db.session() as session:
        row = session.exec(select(BindRequest).order_by(BindRequest.id.desc())).first()  # type: ignore[union-attr]
        assert row is not None and row.id is not None
        return row.id


def test_a_request_approved_by_the_secretary_binds_and_the_next_visit_is_silent(tmp_path: Path) -> None:
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host)
        phone = client_for(app)
        via_wechat(host, phone, "c1", "/h5/daily")
        page = phone.get("/h5/bind").text
        assert "没有绑定码？申请绑定" in page and 'action="/h5/bind/request"' in page
        sent = ask(phone, "张三", "手机尾号 1234")
        assert sent.status_code == 303 and sent.headers["location"] == "/h5/bind#ask"
        waiting = phone.get("/h5/bind").text
        assert "申请已提交" in waiting and "申请绑定为第一支部「张三」" in waiting and "等待书记或委员审核" in waiting
        assert 'action="/h5/bind/request"' not in waiting  # one request at a time
        assert requests_of(app) == [("o-1", "张三", "pending")] and bound(app) == {}
        assert ("bind_ask", "微信公众号账号申请绑定为第一支部「张三」（编号 1）") in audits(app)
        told = notices(app)  # 张书记's account (the roster's local one), not 王书记's
        assert list(told) == ["张书记"]
        assert "「张三」" in told["张书记"] and "手机尾号 1234" in told["张书记"]
        assert f"http://127.0.0.1:8080/branch/{branch_ids(app)['第一支部']}/binding" in told["张书记"]
        assert phone.get("/h5/bind").status_code == 200  # still waiting: the page, no session
        secretary = login(app, "张书记")
        listed = binding_page(secretary, app).text
        assert "待审核的绑定申请（1）" in listed and "手机尾号 1234" in listed
        approved = decide(secretary, app, "approve")
        assert approved.status_code == 200 and "已同意「张三」的绑定申请，并已通过公众号通知本人" in approved.text
        assert decisions(app) == [("o-1", "绑定申请已通过\n您已绑定为第一支部成员「张三」，以后在微信中点开支部群里的"
                                   "链接即可直接进入：http://127.0.0.1:8080/h5/", "http://127.0.0.1:8080/h5/")]
        assert "待审核的绑定申请（0）" in approved.text
        assert bound(app) == {"o-1": "张三"} and requests_of(app) == [("o-1", "张三", "approved")]
        assert ("bind_yes", "第一支部「张三」的绑定申请（编号 1）") in audits(app)
        back = phone.get("/h5/bind")  # the bind page left open: it lets the member in
        assert back.status_code == 303 and back.headers["location"] == "/h5/daily" and SESSION_COOKIE in back.cookies
        assert "张三，您好" in phone.get("/h5/").text
        later = client_for(app)  # another day, through the group's link: silent
        mp.codes["c1b"] = "o-1"
        again = via_wechat(host, later, "c1b", "/h5/points")
        assert again.status_code == 303 and again.headers["location"] == "/h5/points"
        assert audits(app)[-1] == ("login", "微信公众号网页授权")
        assert "同意绑定申请" in login(app, "老周").get("/audit").text


def test_a_refused_request_binds_nothing_and_the_account_may_ask_again(tmp_path: Path) -> None:
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host)
        phone = client_for(app)
        via_wechat(host, phone, "c1")
        assert ask(phone, "李四").status_code == 303
        twice = ask(phone, "张三")
        assert twice.status_code == 403 and "正在等待书记审核，请勿重复提交" in twice.text and "「李四」" in twice.text
        assert requests_of(app) == [("o-1", "李四", "pending")]
        secretary = login(app, "张书记")
        refused = decide(secretary, app, "refuse")
        assert refused.status_code == 200 and "已拒绝「李四」的这份绑定申请，并已通过公众号通知本人" in refused.text
        [(account, told, link)] = decisions(app)
        assert account == "o-1" and told.startswith("绑定申请未通过\n您申请绑定为第一支部成员「李四」，未获同意。")
        assert "请向本支部书记索取绑定码" in told and link == "http://127.0.0.1:8080/h5/bind"
        assert bound(app) == {} and requests_of(app) == [("o-1", "李四", "refused")]
        assert ("bind_no", "第一支部「李四」的绑定申请（编号 1）") in audits(app)
        assert phone.get("/h5/bind").status_code == 200  # no session
        late = decide(secretary, app, "approve", request_id=1)  # the same request, decided again
        assert late.status_code == 409 and "已经处理过了（已拒绝）" in late.text and bound(app) == {}
        assert len(decisions(app)) == 1  # told once
        assert ask(phone, "张三").status_code == 303
        assert requests_of(app)[-1] == ("o-1", "张三", "pending")


def test_bad_requests_are_refused_with_a_clear_message_and_nothing_stored(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host, clock)
        with app.db.session() as session:
            session.add(Identity(channel="wechat_mp", external_id="o-20", member_id=ids(app)["李四"]))
            session.commit()
        phone = client_for(app)
        via_wechat(host, phone, "c1")
        stranger = ask(phone, "不在名册")
        assert stranger.status_code == 403 and NOT_ON_ROSTER in stranger.text
        taken = ask(phone, "李 四")  # 李四 is bound (the space does not matter)
        assert taken.status_code == 403 and "「李四」已经绑定了微信号" in taken.text
        empty = ask(phone, "  ")
        assert empty.status_code == 400 and "请填写您在名册中的姓名" in empty.text
        forged = phone.post("/h5/bind/request", data={"t": "forged", "name": "张三"})
        assert forged.status_code == 403
        assert client_for(app).post("/h5/bind/request", data={"t": "x", "name": "张三"}).status_code == 403  # no cookie
        assert requests_of(app) == [] and notices(app) == {}
        # names guessed: counted with wrong codes, then even a right code waits
        for _ in range(4):
            assert ask(phone, "王五").status_code == 403
        locked = ask(phone, "张三")
        assert locked.status_code == 403 and TOO_MANY in locked.text
        assert bind(phone, "张三", codes_for(app, "张三")["张三"]).status_code == 403
        assert requests_of(app) == [] and bound(app) == {"o-20": "李四"}


def test_an_account_asks_a_few_times_a_day_and_a_member_has_a_few_requests_waiting(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host, clock)
        phone = client_for(app)
        via_wechat(host, phone, "c1")
        secretary = login(app, "张书记")
        for _ in range(ASK_LIMIT):
            assert ask(phone, "张三").status_code == 303
            assert decide(secretary, app, "refuse").status_code == 200
        often = ask(phone, "张三")
        assert often.status_code == 403 and "一天内最多提交" in often.text
        clock.set(clock.now() + timedelta(days=1, minutes=1))  # a day later, three other accounts ask for 张三
        for n in (2, 3, 4):
            other = client_for(app)
            via_wechat(host, other, f"c{n + 10}")
            assert ask(other, "张三").status_code == 303
        via_wechat(host, phone, "c2")  # a fourth (o-2)
        crowded = ask(phone, "张三")
        assert crowded.status_code == 403 and "已有多份绑定申请等待审核" in crowded.text
        assert [s for _, _, s in requests_of(app)].count("pending") == 3
        approved = decide(login(app, "张书记"), app, "approve")  # the first one: the others are refused with it
        assert approved.status_code == 200 and "同时拒绝了同一成员的其他 2 份申请" in approved.text
        assert [s for _, _, s in requests_of(app)].count("pending") == 0 and bound(app) == {"o-12": "张三"}


def test_another_branch_s_secretary_cannot_decide_and_a_stale_approval_binds_nothing(tmp_path: Path) -> None:
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host)
        phone = client_for(app)
        via_wechat(host, phone, "c1")
        assert ask(phone, "张三").status_code == 303
        request_id = last_request_id(app)
        other = login(app, "王书记")
        assert "张三" not in binding_page(other, app, "第二支部").text
        own = decide(other, app, "approve", request_id=request_id, branch="第二支部")  # through their own branch
        assert own.status_code == 403 and NOT_YOURS in own.text
        token = re.search(r'name="csrf" value="([^"]+)"', binding_page(other, app, "第二支部").text)
        assert token is not None
        direct = other.post(f"/branch/{branch_ids(app)['第一支部']}/binding/requests/{request_id}",
                            data={"csrf": token[1], "decision": "approve"})
        assert direct.status_code == 403
        secretary = login(app, "张书记")
        assert decide(secretary, app, "approve", request_id=request_id, csrf="forged").status_code == 403
        odd = decide(secretary, app, "maybe", request_id=request_id)
        assert odd.status_code == 400
        assert requests_of(app) == [("o-1", "张三", "pending")] and bound(app) == {}
        assert not [a for a, _ in audits(app) if a in ("bind_yes", "bind_no")]
        # meanwhile 张三 bound another phone with a code: the request can no longer be approved
        code = codes_for(app, "张三")["张三"]
        second = client_for(app)
        via_wechat(host, second, "c2")
        assert bind(second, "张三", code).status_code == 303
        stale = decide(secretary, app, "approve", request_id=request_id)
        assert stale.status_code == 409 and "「张三」已经绑定了微信号" in stale.text
        assert bound(app) == {"o-2": "张三"} and requests_of(app) == [("o-1", "张三", "pending")]
        assert decide(secretary, app, "refuse", request_id=request_id).status_code == 200


def test_a_name_two_branches_share_asks_for_the_branch(tmp_path: Path) -> None:
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host)
        with app.db.session() as session:  # another 张三, in 第二支部
            session.add(Member(name="张三", branch_id=branch_ids(app)["第二支部"], rostered=True,
                               created_at=app.clock.now()))
            session.commit()
        phone = client_for(app)
        via_wechat(host, phone, "c1")
        which = ask(phone, "张三")
        assert which.status_code == 400 and "请选择您所在的支部" in which.text
        assert '<select id="ask-branch" name="branch"' in which.text and ">第二支部</option>" in which.text
        assert requests_of(app) == []
        second = branch_ids(app)["第二支部"]
        assert ask(phone, "张三", branch=str(second)).status_code == 303
        with app.db.session() as session:
            row = session.exec(select(BindRequest)).one()
            member = session.get(Member, row.member_id)
            assert member is not None and member.branch_id == second
        assert list(notices(app)) == ["王书记"]


def test_request_queries_on_each_database(tmp_path: Path, database_url: str) -> None:
    """bind_requests' SQL (the pending index, the scoped reads) on SQLite and, with STUDYBOT_TEST_POSTGRES, on
    PostgreSQL."""
    from bot.storage.bind_codes import BindRefused
    from bot.storage.bind_requests import ask_binding, decide_request, pending_requests
    from bot.storage.scope import Scope

    app = web_app(tmp_path, database={"url": database_url})
    now, people, branches = app.clock.now(), ids(app), branch_ids(app)
    first = Scope(branch_ids=frozenset({branches["第一支部"]}))
    second = Scope(branch_ids=frozenset({branches["第二支部"]}))
    with app.db.session() as session:
        asked, _ = ask_binding(session=session, openid="o-a", name="张三", note="", branch_id=None, now=now)
        session.commit()
        assert asked.id is not None
        with pytest.raises(BindRefused, match="请勿重复提交"):
            ask_binding(session=session, openid="o-a", name="李四", note="", branch_id=None, now=now)
        shown = pending_requests(session, branch_id=branches["第一支部"], where=first.member_filter(), now=now)
        assert [p.name for p in shown] == ["张三"]
        assert pending_requests(session, branch_id=branches["第一支部"], where=second.member_filter(), now=now) == []
        with pytest.raises(BindRefused, match="不属于您管理的支部"):
            decide_request(session=session, request_id=asked.id, branch_id=branches["第一支部"], approve=True,
                           by=people["王书记"], where=second.member_filter(), now=now)
        done = decide_request(session=session, request_id=asked.id, branch_id=branches["第一支部"], approve=True,
                              by=people["张书记"], where=first.member_filter(), now=now)
        session.commit()
        assert done.approved and done.name == "张三"
        bound_to = session.exec(select(Identity).where(Identity.external_id == "o-a")).one()
        assert bound_to.member_id == people["张三"]
        # one pending per account, in the database: a second row for o-b while its first waits is refused
        session.add(BindRequest(openid="o-b", member_id=people["李四"], asked_at=now))
        session.commit()
        session.add(BindRequest(openid="o-b", member_id=people["钱七"], asked_at=now))
        from sqlalchemy.exc import IntegrityError

        with pytest.raises(IntegrityError):
            session.commit()
        session.rollback()
    app.db.dispose()
