"""DingTalk robot OpenAPI: proactive sends when no fresh session webhook is at hand.

- token: POST /v1.0/oauth2/accessToken {appKey, appSecret} -> {accessToken, expireIn}; cached until
  shortly before it expires (one fetch for many sends; one fetch at a time, under a lock);
- group: POST /v1.0/robot/groupMessages/send {openConversationId, robotCode, msgKey, msgParam};
- 1:1:   POST /v1.0/robot/oToMessages/batchSend {robotCode, userIds (<= 20), msgKey, msgParam};
  both with the header x-acs-dingtalk-access-token. msgParam is a JSON string of at most 15,000 bytes;
- cards: POST /v1.0/card/instances/createAndDeliver, PUT /v1.0/card/instances (bodies from
  cards.py). We call these ourselves rather than through the SDK's
  CardReplier: it reads the OpenAPI address once at import, needs an incoming message to send a
  card (a timer-driven question has none) and logs failures instead of raising them.

What the answers mean (issue 13): 401 alone is a stale token (fetched again, the call made once more);
a 403 is a rate limit, a used-up quota or a missing permission (throttle.py: paced and paused, or held);
createAndDeliver's `success: true` is read down to `result.deliverResults[].success`; batchSend's 200
may list `flowControlledStaffIdList` (throttled: `RateLimited`) and `invalidStaffIdList` (refused).

Blocking (requests): call it in `asyncio.to_thread`. Never logs the secret or the token."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from bot.channels.base import NotDelivered
from bot.channels.common.attempts import requests_failure, status_failure
from bot.channels.dingtalk.throttle import Holds, Pacer, forbidden_kind

log = logging.getLogger(__name__)

__all__ = ["DingTalkOpenAPI", "OpenAPIError", "RateLimited", "msg_for", "MSG_PARAM_MAX_BYTES"]

TOKEN_PATH = "/v1.0/oauth2/accessToken"
GROUP_SEND_PATH = "/v1.0/robot/groupMessages/send"
PRIVATE_SEND_PATH = "/v1.0/robot/oToMessages/batchSend"
TOKEN_HEADER = "x-acs-dingtalk-access-token"
TOKEN_MARGIN_S = 300.0  # refresh this long before the token expires
MSG_PARAM_MAX_BYTES = 15_000
CARD_DELIVER_PATH = "/v1.0/card/instances/createAndDeliver"
CARD_UPDATE_PATH = "/v1.0/card/instances"
HTTP_TIMEOUT = 10.0


class OpenAPIError(NotDelivered):
    """A failed OpenAPI call; its text names the path and status, never a credential. As a send's
    failure it says whether the message may have reached the chat (common/attempts.py)."""


class RateLimited(OpenAPIError):
    """DingTalk said "too fast" (a rate-limit 403, a flow-controlled recipient, a busy session
    webhook): not taken, and safe to send again after a pause."""


def msg_for(title: str, text: str, markdown: bool) -> tuple[str, str]:
    """(msgKey, msgParam): sampleMarkdown {title, text} or sampleText {content}, cut to 15,000 bytes."""
    key, field = ("sampleMarkdown", "text") if markdown else ("sampleText", "content")
    param: dict[str, str] = {"title": title, "text": text} if markdown else {"content": text}
    encoded = json.dumps(param, ensure_ascii=False)
    body = param[field]
    while len(encoded.encode("utf-8")) > MSG_PARAM_MAX_BYTES and body:
        excess = len(encoded.encode("utf-8")) - MSG_PARAM_MAX_BYTES
        body = body[: max(0, len(body) - max(1, excess // 4 + 1) - 1)]
        param[field] = body + "…"
        encoded = json.dumps(param, ensure_ascii=False)
    return key, encoded


class _Sessions(threading.local):
    """`session`: each thread its own, made on the thread's first use."""

    def __init__(self) -> None:
        self.session = requests.Session()


class DingTalkOpenAPI:
    def __init__(self, *, app_key: str, app_secret: str, endpoint: str = "https://api.dingtalk.com",
                 robot_code: str | None = None, clock: Any = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep, meter: Callable[[str], None] | None = None) -> None:
        self._app_key = app_key
        self._app_secret = app_secret
        self.robot_code = robot_code or app_key  # an enterprise internal robot's code is its AppKey
        self._endpoint = endpoint.rstrip("/")
        self._clock = clock
        self._meter = meter  # told of every metered request (all but the token's): the monthly quota
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_until = 0.0
        self._pacer, self._holds = Pacer(clock=clock, sleep=sleep), Holds(clock)
        self._local = _Sessions()  # a keep-alive session per thread: requests' Session is not thread-safe

    def http(self) -> requests.Session:
        """This thread's HTTP session (connections kept alive between calls)."""
        return self._local.session

    def __repr__(self) -> str:
        return f"DingTalkOpenAPI(app_key={self._app_key!r}, endpoint={self._endpoint!r})"

    # ----- token -----

    def token(self) -> str:
        with self._lock:
            if self._token is not None and self._clock() < self._token_until:
                return self._token
            try:
                answer = self._call(TOKEN_PATH, {"appKey": self._app_key, "appSecret": self._app_secret}, None)
            except OpenAPIError as exc:  # no token, no send: whatever became of this call, no message went
                raise OpenAPIError(str(exc)) from None
            token = answer.get("accessToken")
            if not isinstance(token, str) or not token:
                raise OpenAPIError(f"{TOKEN_PATH}: no accessToken in the answer")
            try:
                expire_in = float(answer.get("expireIn") or 7200)
            except (TypeError, ValueError):
                expire_in = 7200.0
            self._token = token
            self._token_until = self._clock() + max(0.0, expire_in - TOKEN_MARGIN_S)
            return token

    def _forget(self, token: str) -> None:
        with self._lock:
            if self._token == token:
                self._token, self._token_until = None, 0.0

    # ----- sends -----

    def send_group(self, open_conversation_id: str, msg_key: str, msg_param: str) -> dict[str, Any]:
        return self._send(GROUP_SEND_PATH, {"openConversationId": open_conversation_id,
                                            "robotCode": self.robot_code, "msgKey": msg_key,
                                            "msgParam": msg_param})

    def send_private(self, user_ids: list[str], msg_key: str, msg_param: str) -> dict[str, Any]:
        if not 1 <= len(user_ids) <= 20:
            raise ValueError("oToMessages/batchSend takes 1 to 20 userIds")
        answer = self._send(PRIVATE_SEND_PATH, {"robotCode": self.robot_code, "userIds": list(user_ids),
                                                "msgKey": msg_key, "msgParam": msg_param})
        # a 200 that names recipients who did not get it (we send to one user at a time)
        invalid = [str(i) for i in answer.get("invalidStaffIdList") or () if str(i) in user_ids]
        throttled = [str(i) for i in answer.get("flowControlledStaffIdList") or () if str(i) in user_ids]
        if invalid:
            log.warning("dingtalk: %s is not a user the robot can write to (invalidStaffIdList): check the "
                        "roster's 钉钉账号 and the robot's visibility", ", ".join(invalid)[:200])
            raise OpenAPIError(f"{PRIVATE_SEND_PATH}: invalid staff id {', '.join(invalid)[:200]}", refused=True)
        if throttled:
            raise RateLimited(f"{PRIVATE_SEND_PATH}: flow controlled {', '.join(throttled)[:200]}")
        return answer

    def deliver_card(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = self._send(CARD_DELIVER_PATH, body)
        result = answer.get("result")
        results = result.get("deliverResults") if isinstance(result, dict) else None
        failed = [r for r in results or () if not isinstance(r, dict) or r.get("success") is not True]
        if answer.get("success") is False or failed:  # success: true is said even when a delivery failed
            why = "; ".join(str(r.get("errorMsg", "") if isinstance(r, dict) else r)[:80] for r in failed)
            raise OpenAPIError(f"{CARD_DELIVER_PATH}: not delivered {why or str(result)[:120]}", refused=True)
        return answer

    def update_card(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._send(CARD_UPDATE_PATH, body, method="PUT")

    def _send(self, path: str, body: dict[str, Any], method: str = "POST") -> dict[str, Any]:
        held = self._holds.reason(path)
        if held is not None:  # told once already; no request until the hold is over
            raise OpenAPIError(f"{path}: {held}", held=True)
        token = self.token()
        self._pacer.take(path)
        try:
            answer = self._call(path, body, token, method)
        except _Unauthorized:
            # revoked or expired early: one retry with a fresh token (the first was turned away, so
            # the message cannot show twice)
            self._forget(token)
            token = self.token()
            self._pacer.take(path)
            answer = self._call(path, body, token, method)
        self._holds.served(path)
        return answer

    def _forbidden(self, path: str, answer: dict[str, Any]) -> OpenAPIError:
        """A 403: "too fast" (paused a second), or a quota or permission (held)."""
        detail = f"HTTP 403 {str(answer.get('code', ''))[:60]} {str(answer.get('message', ''))[:100]}".strip()
        kind = forbidden_kind(answer)
        if kind == "rate":
            self._pacer.pause(path)
            return RateLimited(f"{path}: {detail}")
        return OpenAPIError(f"{path}: {self._holds.hold(path, kind, detail)}", held=True)

    def _call(self, path: str, body: dict[str, Any], token: str | None, method: str = "POST") -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token is not None:
            headers[TOKEN_HEADER] = token
            if self._meter is not None:
                self._meter(path)
        try:
            response = self.http().request(method, self._endpoint + path, headers=headers, timeout=HTTP_TIMEOUT,
                                        data=json.dumps(body, ensure_ascii=False).encode("utf-8"))
        except requests.RequestException as exc:  # its text may carry the URL: the type only
            failure = requests_failure(exc)
            raise OpenAPIError(f"{path}: {failure}", maybe_received=failure.maybe_received,
                               refused=failure.refused) from None
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        if response.status_code == 401 and token is not None:
            raise _Unauthorized(f"{path}: HTTP 401 {str(answer.get('code', ''))[:60]}")
        if response.status_code == 403 and token is not None:
            raise self._forbidden(path, answer)
        failure = status_failure(response.status_code)
        if failure is not None:
            raise OpenAPIError(f"{path}: HTTP {response.status_code} {str(answer.get('code', ''))[:60]} "
                               f"{str(answer.get('message', ''))[:100]}", maybe_received=failure.maybe_received,
                               refused=failure.refused)
        return answer


class _Unauthorized(OpenAPIError):
    pass
