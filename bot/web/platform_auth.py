"""Who a WeCom or DingTalk login code belongs to: the platform calls behind the dashboard's logins, over httpx against
the configured hosts (api_base_url and friends), so tests point them at fake servers on loopback.

The dashboard imports no channel (and `studybot web` runs without them), so the access tokens are fetched and cached
here rather than borrowed from the WeCom adapter's wechatpy client: one per process, refreshed a while before it
expires or when the platform calls it stale. Nothing here logs a secret, a token or a code: only errcodes.

- WeCom: `cgi-bin/gettoken` (corpid, corpsecret of the self-built app) → `cgi-bin/auth/getuserinfo` (code) → userid.
- DingTalk 免登: `gettoken` (appkey, appsecret) → POST `topapi/v2/user/getuserinfo` {code} → result.userid.
- DingTalk 扫码: POST `v1.0/oauth2/userAccessToken` → GET `v1.0/contact/users/me` → unionId →
  POST `topapi/user/getbyunionid` → result.userid."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import httpx

__all__ = ["PlatformError", "WeComAuth", "DingTalkAuth"]

log = logging.getLogger(__name__)

TIMEOUT = 10.0
MARGIN_S = 300.0  # refresh a token this long before it expires
_STALE_TOKEN = {40014, 42001, 40082, 88}  # the platforms' "invalid / expired access_token" errcodes
_USED_CODE = {40029: "企业微信", 40078: "钉钉", 40163: "企业微信"}  # invalid, expired or already used code


class PlatformError(Exception):
    """A login the platform did not confirm; the message is for the person (Chinese), `status` for the page."""

    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.message, self.status = message, status


class _Tokens:
    """An app access token from a GET endpoint answering {errcode, access_token, expires_in}; one fetch at a time."""

    def __init__(self, http: httpx.Client, url: str, params: dict[str, str], platform: str) -> None:
        self._http, self._url, self._params, self._platform = http, url, params, platform
        self._token, self._until = "", 0.0
        self._lock = threading.Lock()

    def get(self, *, fresh: bool = False) -> str:
        with self._lock:
            if fresh or not self._token or time.monotonic() >= self._until:
                body = _json(self._http, "GET", self._url, self._platform, params=self._params)
                if body.get("errcode", 0) != 0 or not body.get("access_token"):
                    raise _refused(self._platform, body)
                self._token = str(body["access_token"])
                self._until = time.monotonic() + max(60.0, float(body.get("expires_in", 7200)) - MARGIN_S)
            return self._token


def _json(http: httpx.Client, method: str, url: str, platform: str, **kwargs: Any) -> dict[str, Any]:
    """A JSON object from the platform, or PlatformError (502) when it cannot be reached or answers garbage."""
    path = httpx.URL(url).path
    try:
        response = http.request(method, url, timeout=TIMEOUT, **kwargs)
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        log.warning("%s login: %s %s failed: %s", platform, method, path, type(exc).__name__)
        raise PlatformError(f"暂时无法连接{platform}服务器，请稍后再试。", 502) from None
    if not isinstance(body, dict):
        raise PlatformError(f"{platform}服务器的回答无法识别，请稍后再试。", 502)
    if response.status_code >= 400 or body.get("errcode", 0) != 0:
        log.info("%s login: %s answered HTTP %s errcode %s code %s", platform, path, response.status_code,
                 body.get("errcode"), str(body.get("code", ""))[:40])
    return body


def _refused(platform: str, body: dict[str, Any]) -> PlatformError:
    errcode = body.get("errcode")
    if errcode in _USED_CODE or body.get("code") in ("invalidAuthCode", "authCodeExpired", "invalid.authCode"):
        return PlatformError(f"{platform}登录码无效、已使用或已过期（每个登录码只能用一次）：请重新登录。")
    shown = errcode if errcode is not None else body.get("code", "?")
    return PlatformError(f"{platform}未确认您的身份（错误码 {shown}），请重新登录；如仍不行请联系管理员。")


class WeComAuth:
    def __init__(self, *, api_base_url: str, corp_id: str, secret: str, http: httpx.Client | None = None) -> None:
        self._http = http or httpx.Client(trust_env=False)
        self._base = api_base_url.rstrip("/")
        self._tokens = _Tokens(self._http, self._base + "/cgi-bin/gettoken",
                               {"corpid": corp_id, "corpsecret": secret}, "企业微信")

    def userid(self, code: str) -> str:
        """The member's WeCom userid for a 网页授权/扫码 code (a code works once, for 5 minutes)."""
        for fresh in (False, True):
            body = _json(self._http, "GET", self._base + "/cgi-bin/auth/getuserinfo", "企业微信",
                         params={"access_token": self._tokens.get(fresh=fresh), "code": code})
            if body.get("errcode") not in _STALE_TOKEN:
                break
        if body.get("errcode", 0) != 0:
            raise _refused("企业微信", body)
        if not body.get("userid"):  # a non-member of the organisation gets an openid only
            raise PlatformError("您不是本企业的成员（企业微信只返回了外部身份），无法登录管理后台。")
        return str(body["userid"])


class DingTalkAuth:
    def __init__(self, *, oapi_base_url: str, openapi_endpoint: str, client_id: str, client_secret: str,
                 http: httpx.Client | None = None) -> None:
        self._http = http or httpx.Client(trust_env=False)
        self._oapi, self._api = oapi_base_url.rstrip("/"), openapi_endpoint.rstrip("/")
        self._client_id, self._client_secret = client_id, client_secret
        self._tokens = _Tokens(self._http, self._oapi + "/gettoken",
                               {"appkey": client_id, "appsecret": client_secret}, "钉钉")

    def _topapi(self, path: str, payload: dict[str, str]) -> dict[str, Any]:
        for fresh in (False, True):
            body = _json(self._http, "POST", self._oapi + path, "钉钉",
                         params={"access_token": self._tokens.get(fresh=fresh)}, json=payload)
            if body.get("errcode") not in _STALE_TOKEN:
                break
        if body.get("errcode", 0) != 0:
            raise _refused("钉钉", body)
        result = body.get("result")
        return result if isinstance(result, dict) else {}

    def userid_from_auth_code(self, code: str) -> str:
        """免登: the userid for a requestAuthCode code (valid 5 minutes, once)."""
        userid = self._topapi("/topapi/v2/user/getuserinfo", {"code": code}).get("userid")
        if not userid:
            raise PlatformError("钉钉未返回您的用户 ID，请确认您是本组织成员后重新登录。")
        return str(userid)

    def unionid_from_qr_code(self, code: str) -> str:
        """扫码: the person's unionId for the authCode login.dingtalk.com sent back."""
        grant = _json(self._http, "POST", self._api + "/v1.0/oauth2/userAccessToken", "钉钉",
                      json={"clientId": self._client_id, "clientSecret": self._client_secret, "code": code,
                            "grantType": "authorization_code"})
        if not grant.get("accessToken"):
            raise _refused("钉钉", grant)
        me = _json(self._http, "GET", self._api + "/v1.0/contact/users/me", "钉钉",
                   headers={"x-acs-dingtalk-access-token": str(grant["accessToken"])})
        if not me.get("unionId"):
            raise _refused("钉钉", me)
        return str(me["unionId"])

    def userid_from_unionid(self, unionid: str) -> str | None:
        """The organisation's userid for a unionId; None when the person is not in the organisation."""
        try:
            userid = self._topapi("/topapi/user/getbyunionid", {"unionid": unionid}).get("userid")
        except PlatformError as error:
            if error.status != 403:  # unreachable: say so, rather than "not in the roster"
                raise
            return None
        return str(userid) if userid else None
