"""A fake WeCom server API on loopback: the group 消息推送 webhook (`/cgi-bin/webhook/send`) and,
for the self-built app, `/cgi-bin/gettoken` and `/cgi-bin/message/send`.

It runs in a thread of its own (http.server), so blocking clients (wechatpy) and async ones
(httpx on the service's loop) can both call it, and records every request.

    with FakeWeComAPI(webhook_keys={"K1"}) as api:
        ...  # point api_base_url at api.url
        api.wait_for(3, path=WEBHOOK)          # the first three webhook requests
        api.script(WEBHOOK, {"errcode": 45009}, 502, "drop")  # answers for the next three

A scripted answer is a dict (the JSON body, HTTP 200), an int (an HTTP status with an empty
JSON body) or "drop" (the connection is closed without an answer: a network error)."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["FakeWeComAPI", "Recorded", "WEBHOOK", "GETTOKEN", "MESSAGE_SEND"]

WEBHOOK = "/cgi-bin/webhook/send"
GETTOKEN = "/cgi-bin/gettoken"
MESSAGE_SEND = "/cgi-bin/message/send"
OK = {"errcode": 0, "errmsg": "ok"}


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any  # parsed JSON, or the raw text when it is not JSON
    at: float  # time.monotonic() on arrival

    @property
    def msgtype(self) -> str:
        return self.body.get("msgtype", "") if isinstance(self.body, dict) else ""

    @property
    def content(self) -> str:
        """The text of a text or markdown message."""
        if not isinstance(self.body, dict):
            return ""
        return str((self.body.get(self.msgtype) or {}).get("content", ""))


class FakeWeComAPI:
    def __init__(self, *, webhook_keys: Iterable[str] | None = None, corp_id: str = "",
                 corp_secret: str = "") -> None:
        """`webhook_keys`: the keys that exist (others get errcode 93000); None accepts any.
        `corp_id`/`corp_secret`: the credentials gettoken accepts; empty accepts any."""
        self.webhook_keys = set(webhook_keys) if webhook_keys is not None else None
        self.corp_id, self.corp_secret = corp_id, corp_secret
        self.requests: list[Recorded] = []
        self.tokens: set[str] = set()
        self._scripts: dict[str, deque[Any]] = defaultdict(deque)
        self._changed = threading.Condition()
        self._token_ids = itertools.count(1)
        self._msg_ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # ----- test side -----

    def script(self, path: str, *answers: Any) -> None:
        """Answer the next requests to `path` with these, one each, before the normal answer."""
        with self._changed:
            self._scripts[path].extend(answers)

    def received(self, path: str = WEBHOOK) -> list[Recorded]:
        with self._changed:
            return [r for r in self.requests if r.path == path]

    def wait_for(self, count: int, path: str = WEBHOOK, timeout: float = 5.0) -> list[Recorded]:
        """The first `count` requests to `path`, waiting up to `timeout` seconds for them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(found := [r for r in self.requests if r.path == path]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(found)} request(s) to {path} within {timeout}s, expected {count}: "
                                         f"{[r.content[:40] for r in found]}")
                self._changed.wait(left)
            return found[:count]

    def expire_tokens(self) -> None:
        """Every access token issued so far is now invalid (errcode 42001 on use)."""
        with self._changed:
            self.tokens.clear()

    # ----- server -----

    def __enter__(self) -> FakeWeComAPI:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-wecom-api", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _record(self, method: str, path: str, query: dict[str, str], body: Any) -> Any:
        """Record the request and return the scripted answer, if any."""
        with self._changed:
            self.requests.append(Recorded(method, path, query, body, time.monotonic()))
            self._changed.notify_all()
            script = self._scripts.get(path)
            return script.popleft() if script else None

    def _answer(self, path: str, query: dict[str, str], body: Any) -> dict[str, Any] | int:
        if path == WEBHOOK:
            if not query.get("key"):
                return {"errcode": 93000, "errmsg": "invalid webhook url"}
            if self.webhook_keys is not None and query["key"] not in self.webhook_keys:
                return {"errcode": 93000, "errmsg": "invalid webhook url"}
            if not isinstance(body, dict) or body.get("msgtype") not in (
                    "text", "markdown", "markdown_v2", "news", "image", "file", "voice", "template_card"):
                return {"errcode": 40008, "errmsg": "invalid message type"}
            return OK
        if path == GETTOKEN:
            if (self.corp_id and query.get("corpid") != self.corp_id) or \
                    (self.corp_secret and query.get("corpsecret") != self.corp_secret):
                return {"errcode": 40001, "errmsg": "invalid credential"}
            token = f"FAKE_TOKEN_{next(self._token_ids)}"
            with self._changed:
                self.tokens.add(token)
            return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}
        if path == MESSAGE_SEND:
            with self._changed:
                known = query.get("access_token") in self.tokens
            if not known:
                return {"errcode": 42001, "errmsg": "access_token expired"}
            return {"errcode": 0, "errmsg": "ok", "msgid": f"fake-msg-{next(self._msg_ids)}"}
        return 404

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once: no 40 ms delayed-ACK stall

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
                try:
                    body: Any = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                answer = fake._record(method, parts.path, query, body)
                if answer is None:
                    answer = fake._answer(parts.path, query, body)
                if answer == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                status, payload = (answer, {}) if isinstance(answer, int) else (200, answer)
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        return Handler
