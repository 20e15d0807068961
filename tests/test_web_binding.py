"""微信绑定 on the dashboard (/branch/{id}/binding): a branch's 书记 issues binding codes for the members not yet bound,
shown once on the page or downloaded (.xlsx/.csv), and they bind on /h5/bind; the issue is on the 审计 page; issuing
again voids the old codes; another branch's secretary, a plain member and a forged form are refused with nothing
stored; a 管理员 issues for any branch; 「也为已绑定的成员重新发放」 moves a binding to a new phone."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import select

from bot.app import App
from bot.storage.models import Identity, Member
from bot.storage.models_web import BindCode
from bot.web.pages.binding import ALL_BOUND
from tests.test_h5_login import audits, bind, bound, mp_app, official_account, via_wechat
from tests.web_helpers import branch_ids, client_for, ids, login

CODE = re.compile(r"<td>([23456789A-HJ-NP-Z]{6})</td>")


def page_of(client: TestClient, app: App, branch: str = "第一支部") -> str:
    page = client.get(f"/branch/{branch_ids(app)[branch]}/binding")
    assert page.status_code == 200, page.text
    return page.text


def csrf_in(text: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', text)
    assert found is not None
    return found[1]


def issue(client: TestClient, app: App, fmt: str = "page", branch: str = "第一支部", csrf: str | None = None,
          **more: str):
    token = csrf if csrf is not None else csrf_in(page_of(client, app, branch))
    return client.post(f"/branch/{branch_ids(app)[branch]}/binding/codes", data={"csrf": token, "fmt": fmt, **more})


def shown_codes(text: str) -> dict[str, str]:
    """name → code from the page's one-time table (支部, 姓名, 绑定码, 有效期至)."""
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([23456789A-HJ-NP-Z]{6})</td>", text)
    return {name: code for _, name, code in rows}


def code_rows(app: App) -> int:
    with app.db.session() as session:
        return len(session.exec(select(BindCode)).all())


def test_codes_issued_on_the_dashboard_bind_on_the_wechat_page_and_are_shown_once(tmp_path: Path) -> None:
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host)
        with app.db.session() as session:  # 李四 is bound already: no code for him
            session.add(Identity(channel="wechat_mp", external_id="o-20", member_id=ids(app)["李四"]))
            session.commit()
        secretary = login(app, "张书记")
        before = page_of(secretary, app)
        assert "未绑定 2 人，共 3 人" in before and "发放并在页面显示" in before
        assert f'href="/branch/{branch_ids(app)["第一支部"]}/binding"' in secretary.get(
            f"/branch/{branch_ids(app)['第一支部']}").text
        done = issue(secretary, app)
        assert done.status_code == 200, done.text
        codes = shown_codes(done.text)
        assert set(codes) == {"张书记", "张三"} and "绑定码只显示这一次" in done.text
        assert ("codes", "第一支部：未绑定的 2 名成员，14 天内有效（页面显示）") in audits(app)
        again = page_of(secretary, app)
        assert not CODE.search(again) and codes["张三"] not in again  # shown once: only hashes are kept
        assert again.count("有效至") == 2
        member = client_for(app)
        via_wechat(host, member, "c1", "/h5/daily")
        entered = bind(member, "张三", codes["张三"])
        assert entered.status_code == 303 and entered.headers["location"] == "/h5/daily"
        assert bound(app) == {"o-20": "李四", "o-1": "张三"}
        assert "已使用" in page_of(secretary, app)
        admin = login(app, "老周")
        trail = admin.get("/audit").text
        assert "发放绑定码" in trail and "第一支部：未绑定的 2 名成员" in trail


def test_codes_download_as_xlsx_and_csv_and_issuing_again_voids_the_old_ones(tmp_path: Path) -> None:
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host)
        secretary = login(app, "张书记")
        first = shown_codes(issue(secretary, app).text)
        sheet = issue(secretary, app, "xlsx")
        assert sheet.status_code == 200
        assert sheet.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert "attachment" in sheet.headers["content-disposition"]
        rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
        assert rows[0] == ("支部", "姓名", "绑定码", "有效期至")
        assert sorted(r[1] for r in rows[1:]) == ["张三", "张书记", "李四"]
        assert all(r[0] == "第一支部" for r in rows[1:])
        from_sheet = {r[1]: r[2] for r in rows[1:]}
        table = issue(secretary, app, "csv")
        assert table.headers["content-type"].startswith("text/csv")
        lines = list(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))
        assert lines[0] == ["支部", "姓名", "绑定码", "有效期至"] and len(lines) == 4
        latest = {line[1]: line[2] for line in lines[1:]}
        assert code_rows(app) == 3  # one per member: each issue replaced the last
        assert [a for a, _ in audits(app)].count("codes") == 3
        assert audits(app)[-1] == ("codes", "第一支部：未绑定的 3 名成员，14 天内有效（csv）")
        for name, stale in (("张三", first["张三"]), ("李四", from_sheet["李四"])):
            client = client_for(app)
            via_wechat(host, client, {"张三": "c1", "李四": "c2"}[name])
            assert bind(client, name, stale).status_code == 403  # voided by the later issue
            assert bind(client, name, latest[name]).status_code == 303
        assert bound(app) == {"o-1": "张三", "o-2": "李四"}
        left = issue(secretary, app).text  # the two bound since: only the one left
        assert ALL_BOUND not in left and set(shown_codes(left)) == {"张书记"}


def test_another_branch_s_secretary_a_member_and_a_forged_form_are_refused_with_nothing_stored(tmp_path: Path) -> None:
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host)
        first = branch_ids(app)["第一支部"]
        other = login(app, "王书记")
        assert other.get(f"/branch/{first}/binding").status_code == 403
        token = csrf_in(page_of(other, app, "第二支部"))  # a good token of their own session
        refused = other.post(f"/branch/{first}/binding/codes", data={"csrf": token, "fmt": "csv"})
        assert refused.status_code == 403 and "无权查看该支部" in refused.text
        member = login(app, "张三")
        assert member.get(f"/branch/{first}/binding").status_code == 403
        secretary = login(app, "张书记")
        forged = secretary.post(f"/branch/{first}/binding/codes", data={"csrf": "forged", "fmt": "page"})
        assert forged.status_code == 403 and "页面已过期" in forged.text
        assert secretary.post(f"/branch/{first}/binding/codes", data={"fmt": "page"}).status_code == 403
        odd = issue(secretary, app, "pdf")
        assert odd.status_code == 400 and "请用页面上的按钮" in odd.text
        assert secretary.post("/branch/99999/binding/codes",
                              data={"csrf": csrf_in(page_of(secretary, app)), "fmt": "page"}).status_code == 404
        assert code_rows(app) == 0 and not [a for a, _ in audits(app) if a == "codes"]
        admin = login(app, "老周")  # a 管理员: any branch
        issued = shown_codes(issue(admin, app, branch="第二支部").text)
        assert set(issued) == {"王书记", "钱七"} and code_rows(app) == 2


def test_issuing_for_bound_members_too_moves_a_binding_to_a_new_phone(tmp_path: Path) -> None:
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host)
        with app.db.session() as session:
            for n, name in enumerate(("张书记", "张三", "李四"), 20):
                session.add(Identity(channel="wechat_mp", external_id=f"o-{n}", member_id=ids(app)[name]))
            session.commit()
        secretary = login(app, "张书记")
        nobody = issue(secretary, app)
        assert nobody.status_code == 200 and ALL_BOUND in nobody.text and code_rows(app) == 0
        codes = shown_codes(issue(secretary, app, all="1").text)
        assert set(codes) == {"张书记", "张三", "李四"}
        assert audits(app)[-1] == ("codes", "第一支部：全部 3 名成员，14 天内有效（页面显示）")
        phone = client_for(app)
        via_wechat(host, phone, "c5")
        assert bind(phone, "张三", codes["张三"]).status_code == 303
        assert bound(app)["o-5"] == "张三" and "o-21" not in bound(app)


def test_members_codes_unbound_issues_for_those_not_bound_only(cli_config: Path, tmp_path: Path) -> None:
    """`studybot members codes --unbound` runs the dashboard's rule (bot/services/binding.py)."""
    from typer.testing import CliRunner

    from bot.cli import build_cli
    from bot.storage.db import Database

    def invoke(*args: str):
        return CliRunner().invoke(build_cli(), [*args, "--config", str(cli_config)])

    (tmp_path / "名册.csv").write_text("姓名,支部\n张三,第一支部\n李四,第一支部\n", encoding="utf-8")
    assert invoke("members", "import", str(tmp_path / "名册.csv")).exit_code == 0
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    with db.session() as session:
        li = session.exec(select(Member).where(Member.name == "李四")).one()
        session.add(Identity(channel="wechat_mp", external_id="o-li", member_id=li.id))
        session.commit()
    db.dispose()
    printed = invoke("members", "codes", "--unbound")
    assert printed.exit_code == 0, printed.output
    assert [line.split("  ")[1] for line in printed.stdout.splitlines()] == ["张三"]
    assert "1 名成员" in printed.output
    assert invoke("members", "codes", "--unbound").exit_code == 0  # 张三 is still unbound: a new code
    with db.session() as session:
        session.add(Identity(channel="wechat_mp", external_id="o-zhang",
                             member_id=session.exec(select(Member).where(Member.name == "张三")).one().id))
        session.commit()
    db.dispose()
    none_left = invoke("members", "codes", "--unbound")
    assert none_left.exit_code == 1 and "都已绑定微信" in none_left.output
    assert invoke("members", "codes").exit_code == 0  # without --unbound: every member, for a new phone
