"""A fake WeCom server API on loopback for the self-built app: gettoken and message/send.

A `FakeTokenAPI` (tests/fakes/http_api.py): its own thread, every request recorded."""

from __future__ import annotations

from fakes.http_api import Answer, FakeTokenAPI, Recorded

__all__ = ["FakeWeComAppAPI", "GETTOKEN", "MESSAGE_SEND"]

GETTOKEN = "/cgi-bin/gettoken"
MESSAGE_SEND = "/cgi-bin/message/send"


class FakeWeComAppAPI(FakeTokenAPI):
    """`with FakeWeComAppAPI(corp_id, secret) as api:` serves on `api.url` until the block ends.

    `token_requests`: the query of each gettoken; `sent`: each delivered message as the JSON body
    plus "access_token"; `attempts`: every message/send, delivered or not; `errors`: what to answer
    the next sends with, one each: an errcode (e.g. -1 系统繁忙) or an HTTP status >= 500."""

    name = "fake-wecom-app-api"
    token_path, send_path = GETTOKEN, MESSAGE_SEND
    token_fields = {"errcode": 0, "errmsg": "ok"}
    bad_credentials = {"errcode": 40001, "errmsg": "invalid credential"}
    bad_token = {"errcode": 40014, "errmsg": "invalid access_token"}
    sent_ok = {"errcode": 0, "errmsg": "ok", "invaliduser": ""}

    def __init__(self, corp_id: str, secret: str, token: str = "FAKE_WECOM_TOKEN") -> None:
        super().__init__({"corpid": corp_id, "corpsecret": secret}, token)
        self.corp_id, self.secret = corp_id, secret
        self.attempts = 0

    def send(self, request: Recorded) -> Answer:
        self.attempts += 1
        return super().send(request)

    def refused(self, error: int) -> Answer:
        return (error, {"errmsg": "bad gateway"}) if error >= 500 else {"errcode": error, "errmsg": "system busy"}
