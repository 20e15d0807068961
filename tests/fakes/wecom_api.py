"""A fake WeCom server API on loopback: the group 消息推送 webhook (`/cgi-bin/webhook/send`) and,
for the self-built app, `/cgi-bin/gettoken` and `/cgi-bin/message/send`.

A `FakeHTTPAPI` (tests/fakes/http_api.py): its own thread, every request recorded, answers
scriptable per path.

    with FakeWeComAPI(webhook_keys={"K1"}) as api:
        ...  # point api_base_url at api.url
        api.wait_for(3, path=WEBHOOK)          # the first three webhook requests
        api.script(WEBHOOK, {"errcode": 45009}, 502, "drop")  # answers for the next three

A scripted answer is a dict (the JSON body, HTTP 200), an int (an HTTP status with an empty
JSON body) or "drop" (the connection is closed without an answer: a network error)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from fakes.http_api import Answer, FakeHTTPAPI, Recorded

__all__ = ["FakeWeComAPI", "Recorded", "WEBHOOK", "GETTOKEN", "MESSAGE_SEND"]

WEBHOOK = "/cgi-bin/webhook/send"
GETTOKEN = "/cgi-bin/gettoken"
MESSAGE_SEND = "/cgi-bin/message/send"
OK = {"errcode": 0, "errmsg": "ok"}
MSGTYPES = ("text", "markdown", "markdown_v2", "news", "image", "file", "voice", "template_card")


class FakeWeComAPI(FakeHTTPAPI):
    name = "fake-wecom-api"

    def __init__(self, *, webhook_keys: Iterable[str] | None = None, corp_id: str = "",
                 corp_secret: str = "") -> None:
        """`webhook_keys`: the keys that exist (others get errcode 93000); None accepts any.
        `corp_id`/`corp_secret`: the credentials gettoken accepts; empty accepts any."""
        super().__init__()
        self.webhook_keys = set(webhook_keys) if webhook_keys is not None else None
        self.corp_id, self.corp_secret = corp_id, corp_secret
        self.tokens: set[str] = set()
        self._token_ids = itertools.count(1)
        self._msg_ids = itertools.count(1)

    def received(self, path: str | None = WEBHOOK) -> list[Recorded]:
        return super().received(path)

    def wait_for(self, count: int, path: str | None = WEBHOOK, timeout: float = 5.0) -> list[Recorded]:
        return super().wait_for(count, path, timeout)

    def expire_tokens(self) -> None:
        """Every access token issued so far is now invalid (errcode 42001 on use)."""
        with self._changed:
            self.tokens.clear()

    def answer(self, request: Recorded) -> Answer:
        query, body = request.query, request.body
        if request.path == WEBHOOK:
            if not query.get("key") or (self.webhook_keys is not None and query["key"] not in self.webhook_keys):
                return {"errcode": 93000, "errmsg": "invalid webhook url"}
            if not isinstance(body, dict) or body.get("msgtype") not in MSGTYPES:
                return {"errcode": 40008, "errmsg": "invalid message type"}
            return OK
        if request.path == GETTOKEN:
            if (self.corp_id and query.get("corpid") != self.corp_id) or \
                    (self.corp_secret and query.get("corpsecret") != self.corp_secret):
                return {"errcode": 40001, "errmsg": "invalid credential"}
            token = f"FAKE_TOKEN_{next(self._token_ids)}"
            self.tokens.add(token)
            return {**OK, "access_token": token, "expires_in": 7200}
        if request.path == MESSAGE_SEND:
            if query.get("access_token") not in self.tokens:
                return {"errcode": 42001, "errmsg": "access_token expired"}
            return {**OK, "msgid": f"fake-msg-{next(self._msg_ids)}"}
        return 404
