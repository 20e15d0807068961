"""成员名册 on the dashboard: the roster in scope (accounts shown as 已绑定, never the account), an upload through the
`studybot members import` importer (good; two bad rows → both rows, nothing stored), the download uploaded back as
the same members, who may upload, and a 党委 member who is no 管理员 unable to make or unmake one."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from bot.app import App
from bot.clock import ManualClock
from bot.storage.models import Identity, Member
from bot.storage.models_web import WebAudit
from tests.web_helpers import ids, login, web_app

NOW = datetime(2026, 3, 4, 10, 0)
GOOD = "姓名,支部,支部职务,企业微信账号\n赵六,第一支部,,zhaoliu\n孙八,第三支部,书记,sunba\n"
BAD = "姓名,支部,角色\n赵六,第一支部,\n,第一支部,\n孙八,第三支部,\n周九,第三支部,大王\n"


@pytest.fixture
def app(tmp_path: Path) -> App:
    return web_app(tmp_path, ManualClock(NOW), meetings={"groups": {"党委会": ["李四"]}})


def post(client: TestClient, name: str, content: str | bytes, token: str | None = "page"):
    if token == "page":
        found = re.search(r'name="csrf" value="([^"]+)"', client.get("/roster").text)
        assert found is not None
        token = found[1]
    body = content.encode("utf-8") if isinstance(content, str) else content
    return client.post("/roster/upload", data={"csrf": token} if token else {}, files={"file": (name, body)})


def members(app: App) -> dict[str, Member]:
    with app.db.session() as session:
        return {m.name: m for m in session.exec(select(Member))}


def test_the_roster_in_scope_shows_accounts_as_present_only(app: App) -> None:
    with app.db.session() as session:
        session.add(Identity(channel="wecom", external_id="secret-zhang", member_id=ids(app)["张三"]))
        session.commit()
    admin = login(app, "老周").get("/roster").text
    assert "钱七" in admin and "张三" in admin and "已绑定" in admin and "secret-zhang" not in admin
    assert 'action="/roster/upload"' in admin
    secretary = login(app, "张书记").get("/roster").text
    assert "张三" in secretary and "钱七" not in secretary and 'action="/roster/upload"' not in secretary
    assert login(app, "张三").get("/roster").status_code == 403
    csv = login(app, "张书记").get("/roster/export.csv").content.decode("utf-8-sig")
    assert csv.splitlines()[0] == "姓名,支部,角色,党员类别,支部职务,党小组,企业微信账号,钉钉账号"
    assert "secret-zhang" in csv and "钱七" not in csv  # the download carries accounts, for re-import


def test_a_good_roster_is_imported_with_an_audit_line(app: App) -> None:
    response = post(login(app, "老周"), "名册.csv", GOOD)
    assert response.status_code == 200, response.text
    assert "导入完成：新增 2 名" in response.text and "赵六" in response.text
    found = members(app)
    assert found["孙八"].role == "secretary"
    with app.db.session() as session:
        details = [a.detail for a in session.exec(select(WebAudit).where(WebAudit.action == "import"))]
    assert details == ["成员名册，文件 名册.csv，2 行"]


def test_bad_rows_are_all_listed_and_nothing_is_stored(app: App) -> None:
    response = post(login(app, "老周"), "名册.csv", BAD)
    assert response.status_code == 400
    assert "名册.csv 有 2 处问题，未导入任何成员" in response.text
    assert "名册.csv 第 3 行：缺少姓名" in response.text and "名册.csv 第 5 行" in response.text
    assert "赵六" not in members(app) and "孙八" not in members(app)
    wrong = post(login(app, "老周"), "名册.docx", b"PK")
    assert wrong.status_code == 400 and "名册应为 .xlsx 或 .csv 文件" in wrong.text


def test_the_download_uploads_back_as_the_same_members(app: App) -> None:
    client = login(app, "老周")
    before = {name: (m.branch_id, m.role) for name, m in members(app).items()}
    for fmt in ("xlsx", "csv"):
        download = client.get(f"/roster/export.{fmt}")
        assert download.status_code == 200
        response = post(client, f"名册.{fmt}", download.content)
        assert response.status_code == 200, response.text
        assert "新增 0 名，更新 0 名，未变化 6 名" in response.text
    assert {name: (m.branch_id, m.role) for name, m in members(app).items()} == before


def test_who_may_upload(app: App) -> None:
    secretary = login(app, "张书记")
    refused = secretary.post("/roster/upload", data={"csrf": "x"}, files={"file": ("名册.csv", GOOD.encode())})
    assert refused.status_code == 403 and "无法只限于本支部" in refused.text
    assert post(login(app, "老周"), "名册.csv", GOOD, token=None).status_code == 403
    assert "赵六" not in members(app)


def test_a_committee_member_who_is_no_admin_cannot_make_or_unmake_one(app: App) -> None:
    committee = login(app, "李四")  # 党委会: sees everything, role 成员
    assert 'action="/roster/upload"' in committee.get("/roster").text
    response = post(committee, "名册.csv", "姓名,支部,角色\n李四,第一支部,管理员\n老周,机关党委,成员\n")
    assert response.status_code == 400
    assert "第 2 行：只有管理员可以把成员设为管理员" in response.text
    assert "第 3 行：老周 是管理员，只有管理员可以更改其角色" in response.text
    assert members(app)["李四"].role == "member" and members(app)["老周"].role == "admin"
    fine = post(committee, "名册.csv", "姓名,支部,角色\n老周,机关党委,管理员\n赵六,第一支部,成员\n")
    assert fine.status_code == 200, fine.text


def test_a_long_roster_is_paged_and_its_download_holds_everyone(app: App) -> None:
    with app.db.session() as session:
        branch = members(app)["张三"].branch_id
        session.add_all(Member(name=f"党员{n:03d}", branch_id=branch, created_at=NOW) for n in range(120))
        session.commit()
    client = login(app, "老周")
    total = len([m for m in members(app).values() if m.branch_id is not None])
    first = client.get("/roster").text
    assert f"共 {total} 人" in first and f"第 1/{(total + 49) // 50} 页" in first and 'href="/roster?page=2"' in first
    shown = {name for page in range(1, (total + 49) // 50 + 1)
             for name in re.findall(r"党员\d{3}", client.get(f"/roster?page={page}").text)}
    assert shown == {f"党员{n:03d}" for n in range(120)}  # every member on exactly the pages, none twice or lost
    assert len(re.findall(r"党员\d{3}", client.get("/roster?page=2").text)) <= 50
    assert "第 3/3 页" in client.get("/roster?page=99").text  # past the end: the last page
    csv = client.get("/roster/export.csv").content.decode("utf-8-sig")
    assert all(f"党员{n:03d}" in csv for n in range(120))
