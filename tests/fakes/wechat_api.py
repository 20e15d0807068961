"""A fake WeChat Official Account API on loopback: the token endpoint, message/custom/send and message/template/send.

A `FakeTokenAPI` (tests/fakes/http_api.py): its own thread, every request recorded."""

from __future__ import annotations

from typing import Any

from fakes.http_api import FakeTokenAPI, Recorded

__all__ = ["FakeWeChatAPI", "TOKEN", "CUSTOM_SEND", "TEMPLATE_SEND"]

TOKEN = "/cgi-bin/token"
CUSTOM_SEND = "/cgi-bin/message/custom/send"
TEMPLATE_SEND = "/cgi-bin/message/template/send"


class FakeWeChatAPI(FakeTokenAPI):
    """`with FakeWeChatAPI(app_id, secret) as api:` serves on `api.url` until the block ends.

    `token_requests`: the query of each token fetch; `sent`: each customer-service message as
    {"access_token", "touser", "msgtype", "content"}; `errors`: errcodes to answer the next
    sends with (one each), e.g. 45047 for a used-up window. `templates`: each template message's body, as sent;
    `template_refusals`: account → the errcode every template message to it is answered with, e.g. 43004 (not
    following)."""

    name = "fake-wechat-api"
    token_path, send_path = TOKEN, CUSTOM_SEND
    bad_credentials = {"errcode": 40125, "errmsg": "invalid appsecret"}
    bad_token = {"errcode": 40001, "errmsg": "invalid credential"}
    sent_ok = {"errcode": 0, "errmsg": "ok"}

    def __init__(self, app_id: str, secret: str, token: str = "FAKE_ACCESS_TOKEN") -> None:
        super().__init__({"appid": app_id, "secret": secret}, token)
        self.app_id, self.secret = app_id, secret
        self.templates: list[dict[str, Any]] = []
        self.template_refusals: dict[str, int] = {}

    def delivered(self, request: Recorded) -> dict[str, Any]:
        body = request.body
        return {"access_token": request.query["access_token"], "touser": body["touser"],
                "msgtype": body["msgtype"], "content": body.get("text", {}).get("content")}

    def answer(self, request: Recorded) -> Any:
        if request.method == "POST" and request.path == TEMPLATE_SEND:
            if request.query.get("access_token") != self.token:
                return self.bad_token
            touser = request.body.get("touser", "") if isinstance(request.body, dict) else ""
            if refusal := self.template_refusals.get(touser):
                return self.refused(refusal)
            self.templates.append(request.body)
            return {"errcode": 0, "errmsg": "ok", "msgid": len(self.templates)}
        return super().answer(request)
