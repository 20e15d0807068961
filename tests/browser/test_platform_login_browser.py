"""WeCom 扫码登录 and DingTalk 免登 in a real browser, against the fake platform servers on loopback
(tests/fakes/oauth_platforms.py): the login page at a phone's size, a click on 企业微信登录 that leaves for the
(fake) login host and comes back logged in, and the 免登 page running the vendored DingTalk JSAPI under the CSP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.web import build_web
from tests.browser.conftest import screenshot
from tests.test_web_platform_login import login_app, platforms


def test_wecom_qr_login_in_a_browser(tmp_path: Path, serve: Any, phone_page: Any) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        base = serve(build_web(app))
        app.settings.web.base_url = base  # the callback comes back to the served address
        phone_page.goto(base + "/login")
        assert phone_page.get_by_role("link", name="企业微信登录").is_visible()
        assert phone_page.get_by_role("link", name="钉钉登录").is_visible()
        screenshot(phone_page, "login-choose-phone")
        host.codes.append("w-ok")
        phone_page.get_by_role("link", name="企业微信登录").click()
        phone_page.wait_for_url(base + "/")
        assert "张三" in phone_page.content()
        assert host.seen[-1][0] == "/wwlogin/sso/login"
        screenshot(phone_page, "login-wecom-qr-done-phone")


def test_the_dingtalk_page_runs_the_jsapi_and_offers_the_fallback_outside_dingtalk(tmp_path: Path, serve: Any,
                                                                                     phone_page: Any) -> None:
    with platforms() as (wecom, ding, host):
        app = login_app(tmp_path, wecom, ding, host)
        base = serve(build_web(app))
        errors: list[str] = []
        phone_page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        phone_page.on("pageerror", lambda error: errors.append(str(error)))
        phone_page.goto(base + "/login/dingtalk")
        phone_page.get_by_text("钉钉免登失败").wait_for()
        assert phone_page.get_by_role("link", name="改用钉钉授权登录").first.is_visible()
        assert not [e for e in errors if "Content Security Policy" in e], errors
        screenshot(phone_page, "login-dingtalk-outside-phone")
