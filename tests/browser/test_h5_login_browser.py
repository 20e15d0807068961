"""The members' pages' first visit inside WeChat, in a real browser at a phone's size (WeChat's User-Agent): the
Official Account's web authorisation against the fake server on loopback, the bind page (name + the secretary's
code), then /h5/ greeting the member by name; a second visit is silent. Without a code: 申请绑定, the secretary
approves it on the dashboard's 微信绑定 page (at a phone's size too), and the member's bind page lets them in."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bot.web import build_web
from tests.browser.conftest import PHONE, screenshot
from tests.test_h5_login import UA, codes_for, mp_app, official_account
from tests.web_helpers import branch_ids, link_for


def test_bind_once_in_wechat_then_the_start_page_shows_the_name(tmp_path: Path, serve: Any, chromium: Any) -> None:
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host)
        code = codes_for(app, "张三")["张三"]
        base = serve(build_web(app))
        app.settings.web.base_url = base  # the callback comes back to the served address
        context = chromium.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", user_agent=UA)
        try:
            page = context.new_page()
            host.codes.append("c1")
            page.goto(base + "/h5/login?next=%2Fh5%2F")
            page.wait_for_url(re.compile(re.escape(base) + r"/h5/bind(#.*)?$"))  # the browser keeps the #fragment
            assert page.get_by_role("heading", name="绑定微信").is_visible()
            screenshot(page, "h5-bind-phone")
            page.get_by_label("姓名", exact=True).fill("张三")
            page.get_by_label("绑定码（6 位）").fill("000000")
            page.get_by_role("button", name="绑定并进入").click()
            page.get_by_role("alert").wait_for()
            assert "姓名或绑定码不正确" in page.get_by_role("alert").inner_text()
            assert page.get_by_label("姓名", exact=True).input_value() == "张三"
            screenshot(page, "h5-bind-wrong-code-phone")
            page.get_by_label("绑定码（6 位）").fill(code.lower())
            page.get_by_role("button", name="绑定并进入").click()
            page.wait_for_url(base + "/h5/")
            assert page.get_by_role("heading", name="张三，您好").is_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            screenshot(page, "h5-home-after-bind-phone")
            context.clear_cookies()  # another day: the session gone, the WeChat account bound
            mp.codes["c1b"] = "o-1"
            host.codes.append("c1b")
            page.goto(base + "/h5/login?next=%2Fh5%2F")
            page.wait_for_url(re.compile(re.escape(base) + r"/h5/(#.*)?$"))
            assert page.get_by_role("heading", name="张三，您好").is_visible()
        finally:
            context.close()


def test_a_request_approved_on_the_dashboard_lets_the_member_in(tmp_path: Path, serve: Any, chromium: Any) -> None:
    with official_account() as (mp, host):
        app = mp_app(tmp_path, mp, host)
        base = serve(build_web(app))
        app.settings.web.base_url = base
        member = chromium.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", user_agent=UA)
        secretary = chromium.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
        try:
            phone = member.new_page()
            host.codes.append("c2")
            phone.goto(base + "/h5/login?next=%2Fh5%2F")
            phone.wait_for_url(re.compile(re.escape(base) + r"/h5/bind(#.*)?$"))
            phone.get_by_label("姓名（与名册一致）").fill("李四")
            phone.get_by_label("留言").fill("手机尾号 5678")
            phone.get_by_role("button", name="提交申请").click()
            phone.get_by_text("申请已提交").wait_for()
            assert "申请绑定为第一支部「李四」" in phone.locator("#ask").inner_text()
            assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            screenshot(phone, "h5-bind-request-sent-phone")
            desk = secretary.new_page()
            desk.goto(base + link_for(app, "张书记"))
            desk.get_by_role("button", name="进入管理后台").click()
            desk.wait_for_url(base + "/")
            desk.goto(f"{base}/branch/{branch_ids(app)['第一支部']}/binding")
            assert "手机尾号 5678" in desk.locator("#requests").inner_text()
            screenshot(desk, "dashboard-binding-request-phone")
            desk.get_by_role("button", name="同意").click()
            desk.get_by_text("已同意「李四」的绑定申请").wait_for()
            desk.get_by_role("button", name="发放并在页面显示").click()
            desk.locator("#codes").wait_for()
            assert desk.locator("#codes tbody tr").count() == 2  # 张书记 and 张三: 李四 is bound now
            screenshot(desk, "dashboard-binding-codes-phone")
            phone.reload()  # the bind page left open: now it lets the member in
            phone.wait_for_url(re.compile(re.escape(base) + r"/h5/(#.*)?$"))
            assert phone.get_by_role("heading", name="李四，您好").is_visible()
        finally:
            member.close()
            secretary.close()
