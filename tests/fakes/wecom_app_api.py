"""A fake WeCom server API on loopback for the self-built app: gettoken and message/send.

It runs in a thread of its own (wechatpy's client is blocking) and records what it was asked."""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["FakeWeComAppAPI"]


class FakeWeComAppAPI:
    """`with FakeWeComAppAPI(corp_id, secret) as api:` serves on `api.url` until the block ends.

    `token_requests`: the query of each gettoken; `sent`: each delivered message as the JSON body
    plus "access_token"; `attempts`: every message/send, delivered or not; `errors`: what to answer
    the next sends with, one each: an errcode (e.g. -1 系统繁忙) or an HTTP status >= 500."""

    def __init__(self, corp_id: str, secret: str, token: str = "FAKE_WECOM_TOKEN") -> None:
        self.corp_id, self.secret, self.token = corp_id, secret, token
        self.token_requests: list[dict[str, str]] = []
        self.sent: list[dict[str, Any]] = []
        self.attempts = 0
        self.errors: deque[int] = deque()
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def __enter__(self) -> FakeWeComAppAPI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _json(self, payload: dict[str, Any], status: int = 200) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != "/cgi-bin/gettoken":
                    self.send_error(404)
                    return
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                with fake._changed:
                    fake.token_requests.append(query)
                    fake._changed.notify_all()
                if query.get("corpid") != fake.corp_id or query.get("corpsecret") != fake.secret:
                    self._json({"errcode": 40001, "errmsg": "invalid credential"})
                    return
                self._json({"errcode": 0, "errmsg": "ok", "access_token": fake.token, "expires_in": 7200})

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if parts.path != "/cgi-bin/message/send":
                    self.send_error(404)
                    return
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if query.get("access_token") != fake.token:
                    self._json({"errcode": 40014, "errmsg": "invalid access_token"})
                    return
                payload = json.loads(data)
                with fake._changed:
                    fake.attempts += 1
                    error = fake.errors.popleft() if fake.errors else 0
                    if error == 0:
                        fake.sent.append({"access_token": query["access_token"], **payload})
                    fake._changed.notify_all()
                if error >= 500:
                    self._json({"errmsg": "bad gateway"}, status=error)
                elif error:
                    self._json({"errcode": error, "errmsg": "system busy"})
                else:
                    self._json({"errcode": 0, "errmsg": "ok", "invaliduser": ""})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-wecom-app-api", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def wait_for_sent(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The first `count` delivered messages, waiting up to `timeout` seconds for them."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.sent) >= count, timeout):
                raise AssertionError(f"expected {count} messages, got {len(self.sent)}: {self.sent}")
            return list(self.sent[:count])
