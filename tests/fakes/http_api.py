"""A small fake JSON HTTP API on loopback, the base of the platform fakes (wechat_api, wecom_api,
wecom_app_api) and of test_doctor's.

It runs in a thread of its own (http.server), so blocking clients (wechatpy) and async ones
(httpx on the service's loop) can both call it, and it records every request.

    with FakeHTTPAPI(answer=lambda request: {"errcode": 0}) as api:
        ...  # point the client at api.url
        api.script("/x", {"errcode": 45009}, 502, (503, {"errmsg": "busy"}), "drop")  # the next four to /x
        api.wait_for(3, path="/x")  # the first three requests to /x

An answer is a dict (the JSON body, HTTP 200), an int (an HTTP status with an empty JSON body),
a (status, dict) pair, or "drop" (the connection is closed without an answer: a network error);
or a function that returns one, called outside the lock on the request's own thread, which it
may hold as long as it likes (a slow platform: tests/fakes/paced_webhook.py).
Scripted answers come first; after them `answer(request)` decides: a subclass overrides it (it is
called with the fake's lock held, so it may update the fake's state freely), or pass `answer=`."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["Answer", "Later", "FakeHTTPAPI", "FakeTokenAPI", "Recorded"]

Answer = dict[str, Any] | int | tuple[int, dict[str, Any]] | str  # str: only "drop"
Later = Callable[[], Answer]  # an answer decided on the request's thread, outside the lock


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # not 5: a burst of connections waits to be accepted, none is reset


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, str]  # the first value of each parameter
    body: Any  # parsed JSON, the raw text when it is not JSON, or None when empty
    at: float  # time.monotonic() on arrival
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    connection: Any = None  # the request's socket (a fake that holds its answer watches it)

    @property
    def msgtype(self) -> str:
        return self.body.get("msgtype", "") if isinstance(self.body, dict) else ""

    @property
    def content(self) -> str:
        """The text of a text or markdown message ({"msgtype": "text", "text": {"content": ...}})."""
        if not isinstance(self.body, dict):
            return ""
        return str((self.body.get(self.msgtype) or {}).get("content", ""))


class FakeHTTPAPI:
    """`with FakeHTTPAPI() as api:` serves on `api.url` until the block ends."""

    name = "fake-http-api"  # of the server thread

    def __init__(self, answer: Callable[[Recorded], Answer] | None = None) -> None:
        self.requests: list[Recorded] = []
        self.url = ""
        self._answer_with = answer
        self._scripts: dict[str, deque[Answer]] = defaultdict(deque)
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----- test side -----

    def answer(self, request: Recorded) -> Answer | Later:
        """The normal answer to `request` (with the lock held); 404 unless overridden."""
        return self._answer_with(request) if self._answer_with else 404

    def script(self, path: str, *answers: Answer) -> None:
        """Answer the next requests to `path` with these, one each, before the normal answer."""
        with self._changed:
            self._scripts[path].extend(answers)

    def received(self, path: str | None = None) -> list[Recorded]:
        """The requests so far, to `path` only if given."""
        with self._changed:
            return [r for r in self.requests if path is None or r.path == path]

    def wait_until(self, ready: Callable[[], bool], timeout: float, failure: Callable[[], str]) -> None:
        """Until `ready()` (checked with the lock held, after each request); AssertionError(failure())
        after `timeout` seconds."""
        with self._changed:
            if not self._changed.wait_for(ready, timeout):
                raise AssertionError(failure())

    def wait_for(self, count: int, path: str | None = None, timeout: float = 5.0) -> list[Recorded]:
        """The first `count` requests (to `path` if given), waiting up to `timeout` seconds for them."""
        def failure() -> str:
            found = self.received(path)
            return (f"{len(found)} request(s) to {path or 'any path'} within {timeout}s, expected {count}: "
                    f"{[r.content[:40] or r.body for r in found]}")

        self.wait_until(lambda: len(self.received(path)) >= count, timeout, failure)
        return self.received(path)[:count]

    # ----- server -----

    def __enter__(self) -> FakeHTTPAPI:
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name=self.name, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _serve(self, request: Recorded) -> Answer | Later:
        """Record `request` and decide its answer: the scripted one, if any, else `answer`."""
        with self._changed:
            self.requests.append(request)
            script = self._scripts.get(request.path)
            try:
                return script.popleft() if script else self.answer(request)
            finally:
                self._changed.notify_all()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once: no 40 ms delayed-ACK stall

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _handle(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length)
                if len(data) < length:  # the sender died mid-request: a platform never sees a cut-off request
                    self.close_connection = True
                    return
                raw = data.decode("utf-8", "replace")
                try:
                    body: Any = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                headers = {name.lower(): value for name, value in self.headers.items()}
                answer = fake._serve(Recorded(method, parts.path, query, body, time.monotonic(), headers,
                                              self.connection))
                if callable(answer):
                    answer = answer()
                if answer == "drop":
                    self.close_connection = True
                    with contextlib.suppress(OSError):  # the client may have hung up first
                        self.connection.shutdown(2)
                    return
                if isinstance(answer, int):
                    status, payload = answer, {}
                elif isinstance(answer, tuple):
                    status, payload = answer
                else:
                    status, payload = 200, answer
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

        return Handler


class FakeTokenAPI(FakeHTTPAPI):
    """An API with a token endpoint (GET `token_path`, checking the `credentials` parameters) and a
    send endpoint (POST `send_path`?access_token=...), the shape of WeChat's and WeCom's.

    `token_requests`: the query of each token fetch; `sent`: each delivered message, as `delivered`
    makes it; `errors`: what to answer the next sends with (one each) instead of delivering, as
    `refused` makes it. A subclass sets the paths and answers."""

    token_path = send_path = ""
    token_fields: dict[str, Any] = {}  # besides access_token and expires_in, on success
    bad_credentials: dict[str, Any] = {}
    bad_token: dict[str, Any] = {}
    sent_ok: dict[str, Any] = {}

    def __init__(self, credentials: dict[str, str], token: str) -> None:
        super().__init__()
        self.credentials, self.token = credentials, token
        self.sent: list[dict[str, Any]] = []
        self.errors: deque[int] = deque()

    @property
    def token_requests(self) -> list[dict[str, str]]:
        return [r.query for r in self.received(self.token_path)]

    def delivered(self, request: Recorded) -> dict[str, Any]:
        """What `sent` records for a delivered message."""
        return {"access_token": request.query["access_token"], **request.body}

    def refused(self, error: int) -> Answer:
        return {"errcode": error, "errmsg": "refused"}

    def answer(self, request: Recorded) -> Answer:
        if request.method == "GET" and request.path == self.token_path:
            if any(request.query.get(name) != value for name, value in self.credentials.items()):
                return self.bad_credentials
            return {**self.token_fields, "access_token": self.token, "expires_in": 7200}
        if request.method == "POST" and request.path == self.send_path:
            if request.query.get("access_token") != self.token:
                return self.bad_token
            return self.send(request)
        return 404

    def send(self, request: Recorded) -> Answer:
        """A send with the right token: the next of `errors` (0: deliver), else delivered."""
        error = self.errors.popleft() if self.errors else 0
        if error:
            return self.refused(error)
        self.sent.append(self.delivered(request))
        return self.sent_ok

    def wait_for_sent(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The first `count` delivered messages, waiting up to `timeout` seconds for them."""
        self.wait_until(lambda: len(self.sent) >= count, timeout,
                        lambda: f"expected {count} messages, got {len(self.sent)}: {self.sent}")
        return self.sent[:count]
