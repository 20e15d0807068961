"""Who a WeChat 网页授权 code belongs to: the Official Account's `sns/oauth2/access_token` (appid, secret, code,
grant_type=authorization_code) against wechat_mp.api_base_url, over httpx (tests point it at a fake on loopback).
snsapi_base is silent: the answer's openid is all that is used; its access_token is not kept. Nothing is logged but
errcodes (never the secret or the code)."""

from __future__ import annotations

import httpx

from bot.web.platform_auth import PlatformError, _json, _refused

__all__ = ["WeChatOAuth", "PlatformError"]

PLATFORM = "微信"


class WeChatOAuth:
    def __init__(self, *, api_base_url: str, app_id: str, secret: str, http: httpx.Client | None = None) -> None:
        self._http = http or httpx.Client(trust_env=False)
        self._url = api_base_url.rstrip("/") + "/sns/oauth2/access_token"
        self._app_id, self._secret = app_id, secret

    def openid(self, code: str) -> str:
        """The visitor's openid under this Official Account for a code (valid 5 minutes, once: errcode 40163)."""
        body = _json(self._http, "GET", self._url, PLATFORM, params={
            "appid": self._app_id, "secret": self._secret, "code": code, "grant_type": "authorization_code"})
        if body.get("errcode", 0) != 0:
            raise _refused(PLATFORM, body)
        if not body.get("openid"):
            raise PlatformError("微信未返回您的身份，请重新打开链接再试。", 502)
        return str(body["openid"])
