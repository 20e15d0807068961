"""A fake DingTalk Stream gateway on loopback, for the real `dingtalk_stream` client.

- HTTP (its own thread: the SDK opens the connection with a blocking requests.post on the loop):
  POST /v1.0/gateway/connections/open hands out the websocket address and a ticket;
  POST /session/<conversation> is a session webhook that records what the robot replies;
  the robot OpenAPI: POST /v1.0/oauth2/accessToken {appKey, appSecret} -> {accessToken, expireIn},
  POST /v1.0/robot/groupMessages/send and /v1.0/robot/oToMessages/batchSend (header
  x-acs-dingtalk-access-token), recorded in `token_requests` and `openapi_sends`; the card API:
  POST /v1.0/card/instances/createAndDeliver and PUT /v1.0/card/instances, recorded in
  `card_sends` and `card_updates`;
  the card data as DingTalk keeps it: shared data per card and private data per member (from updates and
  from the tap callbacks' responses), a member seeing their private value over the shared one (`view`);
  a cardParamMap value over 1 KB refused (400);
  metering: every OpenAPI call but the token's counts (`metered`); past `monthly_limit` calls answer 403
  ApiCountLimitForOrg, like DingTalk's organisation quota;
  the custom robot: POST /robot/send?access_token=…&timestamp=…&sign=…, recorded in `robot_sends`
  with whether its signature checked out against `robot_secret`.
- Websocket (in the test's loop): pushes CALLBACK frames (chatbot messages, card taps) and records
  the client's acks; `drop()` breaks the connection the way a network failure does.
What DingTalk answers when things go wrong (issue 13): `script(path, answer, …)` queues the next answers
of an OpenAPI send path (`RATE_LIMITED`, `QUOTA_USED_UP`, `NO_PERMISSION`: the 403s DingTalk sends);
`card_deliver_error` makes createAndDeliver answer success: true with a failed deliverResults entry;
`flow_controlled` (each user once) and `invalid_staff` are listed in batchSend's 200 and get nothing;
`webhook_errcodes` are the session webhook's next errcodes. `openapi_calls` lists every send path called.
A test waits for what it expects on the fake's change signal, never a fixed time; a slow session
webhook is one the test holds (`hold_session_webhooks`) and lets go."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from fakes.changes import Changes

__all__ = ["FakeDingTalkGateway", "CHATBOT_TOPIC", "CARD_TOPIC", "RATE_LIMITED", "QUOTA_USED_UP", "NO_PERMISSION"]

CHATBOT_TOPIC = "/v1.0/im/bot/messages/get"
TOKEN_PATH = "/v1.0/oauth2/accessToken"
GROUP_SEND_PATH = "/v1.0/robot/groupMessages/send"
PRIVATE_SEND_PATH = "/v1.0/robot/oToMessages/batchSend"
TOKEN_HEADER = "x-acs-dingtalk-access-token"
CARD_TOPIC = "/v1.0/card/instances/callback"
CARD_DELIVER_PATH = "/v1.0/card/instances/createAndDeliver"
CARD_UPDATE_PATH = "/v1.0/card/instances"
RATE_LIMITED = (403, {"code": "QpsLimitForAppkeyAndApi", "message": "应用调用该接口的请求数超过限流阈值",
                      "requestid": "req-qps"})
QUOTA_USED_UP = (403, {"code": "ApiCountLimitForOrg", "message": "企业调用该接口的次数已超过当月额度",
                       "requestid": "req-quota"})
NO_PERMISSION = (403, {"code": "Forbidden.AccessDenied.AccessTokenPermissionDenied",
                       "message": "没有调用该接口的权限", "requestid": "req-perm"})


class FakeDingTalkGateway:
    def __init__(self, *, client_id: str = "ding-id", client_secret: str = "ding-secret") -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.opens: list[dict[str, Any]] = []  # bodies of connections/open
        self.acks: list[dict[str, Any]] = []  # frames the client sent back
        self.replies: list[tuple[str, dict[str, Any]]] = []  # (conversation, body) posted to session webhooks
        self.times: dict[str, float] = {}  # perf_counter when each pushed frame left, by stream messageId
        self.ack_times: dict[str, float] = {}  # perf_counter when its ack came back
        self.reply_times: list[float] = []  # perf_counter of each reply, in step with `replies`
        self.update_times: list[float] = []  # … of each card update, in step with `card_updates`
        self.webhook_expiry_ms = 90 * 60 * 1000
        self._webhooks_open = threading.Event()  # cleared: session webhook posts wait (a slow platform)
        self._webhooks_open.set()
        self.held_posts = 0  # session webhook posts waiting while held
        self.connections = 0  # websocket connections the client opened
        self.open = 0  # of them, open now (several clients: a cluster's instances)
        self.webhook_errcode = 0  # what the session webhook answers (300001: expired; nothing recorded)
        self.token_requests: list[dict[str, Any]] = []  # bodies of oauth2/accessToken
        self.openapi_sends: list[tuple[str, str | None, dict[str, Any]]] = []  # (path, token header, body)
        self.token_expire_in = 7200
        self.card_sends: list[dict[str, Any]] = []
        self.card_updates: list[dict[str, Any]] = []
        self.card_fail = False  # createAndDeliver answers 403 (no card permission)
        self.shared: dict[str, dict[str, str]] = {}  # outTrackId -> its shared cardParamMap
        self.private: dict[str, dict[str, dict[str, str]]] = {}  # outTrackId -> userId -> private cardParamMap
        self._taps: dict[str, tuple[str, str]] = {}  # stream messageId of a tap -> (outTrackId, userId)
        self.metered = 0  # OpenAPI calls counted against the organisation's quota
        self.monthly_limit: int | None = None  # past it, every metered call answers 403 ApiCountLimitForOrg
        self.robot_secret = "SEC-robot-secret"
        self.scripted: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        self.openapi_calls: list[str] = []
        self.card_deliver_error = ""
        self.flow_controlled: set[str] = set()
        self.invalid_staff: set[str] = set()
        self.webhook_errcodes: list[int] = []
        self.robot_sends: list[tuple[dict[str, str], dict[str, Any], bool]] = []  # (query, body, sign ok)
        self._tokens = itertools.count(1)
        self._valid_tokens: set[str] = set()
        self._lock = threading.Lock()
        self._conn: ServerConnection | None = None
        self._connected = asyncio.Event()
        self._ids = itertools.count(1)
        self._changes = Changes()
        self.ws_port = 0
        self.http_port = 0
        self._ws_server: Any = None
        self._http: ThreadingHTTPServer | None = None
        self._http_thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    async def __aenter__(self) -> FakeDingTalkGateway:
        self._changes.bind()
        self._ws_server = await serve(self._on_ws, "127.0.0.1", 0)
        self.ws_port = self._ws_server.sockets[0].getsockname()[1]
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as DingTalk's servers
            disable_nagle_algorithm = True  # headers and body go as two writes: no 40 ms delayed-ACK stall

            def log_message(self, *args: Any) -> None:
                pass

            def do_PUT(self) -> None:
                self.do_POST()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                status, answer = gateway._on_http(self.path, body, self.headers.get(TOKEN_HEADER), self.command)
                gateway._changes.changed()
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.http_port = self._http.server_address[1]
        # a short poll: shutdown() at the end of a test waits for one
        self._http_thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), name="fake-dingtalk-http",
                                             daemon=True)
        self._http_thread.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._webhooks_open.set()  # nothing left hanging in the HTTP threads
        self._ws_server.close()
        await self._ws_server.wait_closed()
        assert self._http is not None and self._http_thread is not None
        self._http.shutdown()
        self._http.server_close()
        self._http_thread.join(5)

    # ----- HTTP -----

    def _on_http(self, path: str, body: dict[str, Any], token: str | None = None,
                 method: str = "POST") -> tuple[int, dict[str, Any]]:
        with self._lock:
            if path.startswith("/robot/send?"):
                query = dict(urllib.parse.parse_qsl(path.split("?", 1)[1]))
                expected = base64.b64encode(hmac.new(self.robot_secret.encode(),
                                                     f"{query.get('timestamp')}\n{self.robot_secret}".encode(),
                                                     hashlib.sha256).digest()).decode()
                self.robot_sends.append((query, body, query.get("sign") == expected))
                return 200, {"errcode": 0, "errmsg": "ok"}
            if path in (CARD_DELIVER_PATH, CARD_UPDATE_PATH, GROUP_SEND_PATH, PRIVATE_SEND_PATH):
                self.metered += 1
                if self.monthly_limit is not None and self.metered > self.monthly_limit:
                    return 403, {"code": "ApiCountLimitForOrg", "message": "api count limit for org (90020)"}
            if path in (CARD_DELIVER_PATH, CARD_UPDATE_PATH):
                if token not in self._valid_tokens:
                    return 401, {"code": "InvalidAuthentication", "message": "token invalid"}
                maps = [body.get("cardData", {}).get("cardParamMap", {}),
                        *(p.get("cardParamMap", {}) for p in body.get("privateData", {}).values())]
                if any(len(str(v).encode()) > 1024 for m in maps for v in m.values()):
                    return 400, {"code": "param.invalid", "message": "cardParamMap value over 1KB"}
                if path == CARD_UPDATE_PATH and method == "PUT":
                    self.card_updates.append(body)
                    self.update_times.append(time.perf_counter())
                    track = body.get("outTrackId", "")
                    self.shared.setdefault(track, {}).update(body.get("cardData", {}).get("cardParamMap", {}))
                    for user, data in body.get("privateData", {}).items():
                        self.private.setdefault(track, {}).setdefault(user, {}).update(data.get("cardParamMap", {}))
                    return 200, {"success": True, "result": True}
                self.openapi_calls.append(path)
                if self.card_fail:
                    return 403, {"code": "Forbidden.AccessDenied", "message": "no card permission"}
                if self.scripted.get(path):
                    return self.scripted[path].pop(0)
                if self.card_deliver_error:
                    return 200, {"success": True, "result": {"outTrackId": body.get("outTrackId"), "deliverResults": [
                        {"spaceType": "IM_GROUP", "success": False, "errorMsg": self.card_deliver_error}]}}
                self.card_sends.append(body)
                self.shared[body.get("outTrackId", "")] = dict(body.get("cardData", {}).get("cardParamMap", {}))
                return 200, {"success": True, "result": {"outTrackId": body.get("outTrackId"),
                                                         "deliverResults": [{"success": True}]}}
            if path == TOKEN_PATH:
                self.token_requests.append(body)
                if body.get("appKey") != self.client_id or body.get("appSecret") != self.client_secret:
                    return 400, {"code": "invalidClientIdOrSecret", "message": "bad appKey or appSecret"}
                issued = f"tok-{next(self._tokens)}"
                self._valid_tokens.add(issued)
                return 200, {"accessToken": issued, "expireIn": self.token_expire_in}
            if path in (GROUP_SEND_PATH, PRIVATE_SEND_PATH):
                if token not in self._valid_tokens:
                    return 401, {"code": "InvalidAuthentication", "message": "token invalid"}
                self.openapi_calls.append(path)
                if self.scripted.get(path):
                    return self.scripted[path].pop(0)
                users = [str(u) for u in body.get("userIds") or ()]
                invalid = [u for u in users if u in self.invalid_staff]
                throttled = [u for u in users if u in self.flow_controlled and u not in invalid]
                self.flow_controlled -= set(throttled)
                if path == PRIVATE_SEND_PATH and len(invalid) + len(throttled) == len(users):
                    return 200, {"processQueryKey": "", "invalidStaffIdList": invalid,
                                 "flowControlledStaffIdList": throttled}
                self.openapi_sends.append((path, token, body))
                if path == GROUP_SEND_PATH:
                    return 200, {"processQueryKey": f"pqk-{len(self.openapi_sends)}"}
                return 200, {"processQueryKey": f"pqk-{len(self.openapi_sends)}", "invalidStaffIdList": invalid,
                             "flowControlledStaffIdList": throttled}
            if path == "/v1.0/gateway/connections/open":
                self.opens.append(body)
                if body.get("clientId") != self.client_id or body.get("clientSecret") != self.client_secret:
                    return 401, {"code": "Unauthorized"}
                return 200, {"endpoint": f"ws://127.0.0.1:{self.ws_port}/connect", "ticket": f"T{len(self.opens)}"}
            held = path.startswith("/session/") and not self._webhooks_open.is_set()
            self.held_posts += held
        if held:  # a slow platform, in the HTTP thread, until the test lets go
            self._changes.changed()
            self._webhooks_open.wait(10)
        with self._lock:
            self.held_posts -= held
            if path.startswith("/session/"):
                if self.webhook_errcodes:
                    return 200, {"errcode": self.webhook_errcodes.pop(0), "errmsg": "scripted"}
                if self.webhook_errcode:
                    return 200, {"errcode": self.webhook_errcode, "errmsg": "session webhook invalid"}
                self.replies.append((path.removeprefix("/session/"), body))
                self.reply_times.append(time.perf_counter())
                return 200, {"errcode": 0, "errmsg": "ok"}
        return 404, {"code": "NotFound"}

    # ----- websocket -----

    async def _on_ws(self, conn: ServerConnection) -> None:
        self._conn = conn
        self.connections += 1
        self.open += 1
        self._connected.set()
        self._changes.changed()
        try:
            async for raw in conn:
                try:
                    frame = json.loads(raw)
                except ValueError:
                    frame = {"raw": raw}
                with self._lock:
                    self.acks.append(frame)
                    acked = frame.get("headers", {}).get("messageId") if isinstance(frame, dict) else None
                    if acked:
                        self.ack_times[acked] = time.perf_counter()
                        self._apply_response(acked, frame)
                self._changes.changed()
        except ConnectionClosed:
            pass  # the client went away (stopped or dropped)
        finally:
            self.open -= 1
            self._changes.changed()
            if self._conn is conn:
                self._conn = None
                self._connected.clear()

    def _apply_response(self, message_id: str, frame: dict[str, Any]) -> None:
        """A tap's ack whose response carries the member's private data changes their card."""
        if message_id not in self._taps:
            return
        track, user = self._taps[message_id]
        try:
            response = json.loads(frame.get("data") or "{}").get("response")
        except (ValueError, AttributeError):
            return
        if isinstance(response, dict):
            private = response.get("userPrivateData", {}).get("cardParamMap", {})
            self.private.setdefault(track, {}).setdefault(user, {}).update(private)
            self.shared.setdefault(track, {}).update(response.get("cardData", {}).get("cardParamMap", {}))

    def view(self, user: str, track: str) -> dict[str, str]:
        """What `user` sees on the card: the shared data, their private data winning where both have a value."""
        with self._lock:
            return {**self.shared.get(track, {}), **self.private.get(track, {}).get(user, {})}

    async def wait_connected(self, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    def chatbot_data(self, user: str, text: str, *, conversation: str = "cid-g1", group: bool = True,
                     msg_id: str | None = None, nick: str | None = None, title: str = "第一党支部") -> dict:
        data: dict[str, Any] = {
            "conversationId": conversation,
            "conversationType": "2" if group else "1",
            "msgId": msg_id or f"msg{next(self._ids)}",
            "senderNick": nick or user,
            "senderStaffId": user,
            "senderId": f"$:LWCP_v1:${user}",
            "isInAtList": True,
            "sessionWebhook": f"{self.endpoint}/session/{conversation}",
            "sessionWebhookExpiredTime": int(time.time() * 1000) + self.webhook_expiry_ms,
            "createAt": int(time.time() * 1000),
            "robotCode": self.client_id,
            "chatbotUserId": "$:LWCP_v1:$robot",
            "msgtype": "text",
            "text": {"content": text},
        }
        if group:
            data["conversationTitle"] = title
        return data

    def hold_session_webhooks(self) -> None:
        """Session webhook posts wait from now on (a platform slow to answer) until `release_session_webhooks`."""
        self._webhooks_open.clear()

    def release_session_webhooks(self) -> None:
        self._webhooks_open.set()

    async def wait_held(self, count: int = 1, timeout: float = 5.0) -> None:
        """Until `count` session webhook posts are waiting, held."""
        await self._changes.until(lambda: self.held_posts >= count, timeout, lambda: f"{self.held_posts} held posts")

    async def send_raw(self, text: str) -> None:
        """Send the client any text as a frame (malformed ones included)."""
        assert self._conn is not None, "no client connected"
        await self._conn.send(text)

    async def wait_until(self, ready: Any, timeout: float = 5.0, what: str = "the condition") -> None:
        """Until `ready()` holds, checked after each request, frame and connection."""
        await self._changes.until(ready, timeout, lambda: f"{what} not reached")

    async def push(self, data: dict[str, Any], *, topic: str = CHATBOT_TOPIC, message_id: str | None = None) -> str:
        """Push a CALLBACK frame; its stream messageId (what the ack names)."""
        assert self._conn is not None, "no client connected"
        message_id = message_id or f"stream-{next(self._ids)}"
        frame = {"specVersion": "1.0", "type": "CALLBACK",
                 "headers": {"appId": "app", "connectionId": "c1", "contentType": "application/json",
                             "messageId": message_id, "time": str(int(time.time() * 1000)), "topic": topic},
                 "data": json.dumps(data, ensure_ascii=False)}
        self.times[message_id] = time.perf_counter()
        await self._conn.send(json.dumps(frame, ensure_ascii=False))
        return message_id

    def tap_data(self, user: str, card: dict[str, Any], choice: str, *, space: str | None = None) -> dict[str, Any]:
        """The data of a card callback: `user` tapped the button `choice` on the card sent as `card`."""
        data: dict[str, Any] = {"outTrackId": card["outTrackId"], "userId": user, "corpId": "ding-corp",
                                "type": "actionCallback", "userIdType": 1,
                                "content": json.dumps({"cardPrivateData": {"actionIds": ["answer"],
                                                                           "params": {"choice": choice}}})}
        if space is not None:
            data["spaceId"] = space
        return data

    async def tap(self, user: str, card: dict[str, Any], choice: str, **kw: Any) -> str:
        message_id = f"stream-{next(self._ids)}"
        self._taps[message_id] = (card["outTrackId"], user)
        return await self.push(self.tap_data(user, card, choice, **kw), topic=CARD_TOPIC, message_id=message_id)

    async def drop(self) -> None:
        """Break the connection without a close handshake, as a network failure does."""
        conn = self._conn
        assert conn is not None, "no client connected"
        self._connected.clear()
        conn.transport.abort()

    def _first(self, items: list[Any], predicate: Any) -> Any:
        with self._lock:
            return next((item for item in items if predicate(item)), None)

    async def wait_for_card(self, predicate: Any, *, after: int = 0, timeout: float = 5.0) -> dict[str, Any]:
        return await self._changes.until(
            lambda: self._first(self.card_sends[after:], predicate), timeout,
            lambda: f"no matching card; got {len(self.card_sends) - after} card(s)")

    async def wait_for_update(self, predicate: Any, *, timeout: float = 5.0) -> dict[str, Any]:
        return await self._changes.until(lambda: self._first(self.card_updates, predicate), timeout,
                                         lambda: f"no matching card update; got {self.card_updates}")

    def script(self, path: str, *answers: tuple[int, dict[str, Any]]) -> None:
        """The next answers of an OpenAPI send path, after the token was checked."""
        with self._lock:
            self.scripted.setdefault(path, []).extend(answers)

    def revoke_tokens(self) -> None:
        with self._lock:
            self._valid_tokens.clear()

    def sends_since(self, mark: int) -> list[tuple[str, str | None, dict[str, Any]]]:
        with self._lock:
            return list(self.openapi_sends[mark:])

    def send_count(self) -> int:
        with self._lock:
            return len(self.openapi_sends)

    async def wait_for_send(self, predicate: Any, *, after: int = 0,
                            timeout: float = 5.0) -> tuple[str, str | None, dict[str, Any]]:
        """The first OpenAPI send from index `after` on for which predicate(body) holds."""
        return await self._changes.until(
            lambda: next((sent for sent in self.sends_since(after) if predicate(sent[2])), None), timeout,
            lambda: f"no matching OpenAPI send; got {[param_text(s[2]) for s in self.sends_since(after)]}")

    def acked(self, message_id: str) -> dict[str, Any] | None:
        with self._lock:
            for frame in self.acks:
                if frame.get("headers", {}).get("messageId") == message_id:
                    return frame
        return None

    def replies_since(self, mark: int) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return list(self.replies[mark:])

    def reply_count(self) -> int:
        with self._lock:
            return len(self.replies)

    async def wait_for(self, predicate: Any, *, after: int = 0, timeout: float = 5.0) -> tuple[str, dict]:
        """The first reply from index `after` on for which predicate(body) holds."""
        return await self._changes.until(
            lambda: next((reply for reply in self.replies_since(after) if predicate(reply[1])), None), timeout,
            lambda: f"no matching reply; got {[_text(b) for _, b in self.replies_since(after)]}")

    async def wait_ack(self, message_id: str, timeout: float = 5.0) -> dict[str, Any]:
        return await self._changes.until(lambda: self.acked(message_id), timeout,
                                         lambda: f"frame {message_id} not acked")


def _text(body: dict[str, Any]) -> str:
    if body.get("msgtype") == "markdown":
        return body["markdown"]["text"]
    return body.get("text", {}).get("content", "")


def text_of(body: dict[str, Any]) -> str:
    return _text(body)


def param_text(body: dict[str, Any]) -> str:
    """The text of an OpenAPI send body (sampleMarkdown or sampleText)."""
    try:
        param = json.loads(body.get("msgParam") or "{}")
    except ValueError:
        return ""
    return param.get("text") or param.get("content") or ""
