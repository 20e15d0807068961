"""A fake WeChat Official Account API on loopback: the token endpoint and message/custom/send.

It runs in a thread of its own (wechatpy's client is blocking) and records what it was asked."""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["FakeWeChatAPI"]


class FakeWeChatAPI:
    """`with FakeWeChatAPI(app_id, secret) as api:` serves on `api.url` until the block ends.

    `token_requests`: the query of each token fetch; `sent`: each customer-service message as
    {"access_token", "touser", "msgtype", "content"}; `errors`: errcodes to answer the next
    sends with (one each), e.g. 45047 for a used-up window."""

    def __init__(self, app_id: str, secret: str, token: str = "FAKE_ACCESS_TOKEN") -> None:
        self.app_id, self.secret, self.token = app_id, secret, token
        self.token_requests: list[dict[str, str]] = []
        self.sent: list[dict[str, Any]] = []
        self.errors: deque[int] = deque()
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def __enter__(self) -> FakeWeChatAPI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _json(self, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != "/cgi-bin/token":
                    self.send_error(404)
                    return
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                with fake._changed:
                    fake.token_requests.append(query)
                    fake._changed.notify_all()
                if query.get("appid") != fake.app_id or query.get("secret") != fake.secret:
                    self._json({"errcode": 40125, "errmsg": "invalid appsecret"})
                    return
                self._json({"access_token": fake.token, "expires_in": 7200})

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if parts.path != "/cgi-bin/message/custom/send":
                    self.send_error(404)
                    return
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                if query.get("access_token") != fake.token:
                    self._json({"errcode": 40001, "errmsg": "invalid credential"})
                    return
                payload = json.loads(data)
                with fake._changed:
                    errcode = fake.errors.popleft() if fake.errors else 0
                    if errcode == 0:
                        fake.sent.append({"access_token": query["access_token"], "touser": payload["touser"],
                                          "msgtype": payload["msgtype"],
                                          "content": payload.get("text", {}).get("content")})
                    fake._changed.notify_all()
                self._json({"errcode": errcode, "errmsg": "ok" if errcode == 0 else "refused"})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-wechat-api", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def wait_for_sent(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The first `count` customer-service messages, waiting up to `timeout` seconds for them."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.sent) >= count, timeout):
                raise AssertionError(f"expected {count} customer-service messages, got {len(self.sent)}: "
                                     f"{self.sent}")
            return list(self.sent[:count])
