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

Blocking (requests): call it in `asyncio.to_thread`. Never logs the secret or the token."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

import requests

from bot.channels.base import NotDelivered
from bot.channels.common.attempts import requests_failure, status_failure

__all__ = ["DingTalkOpenAPI", "OpenAPIError", "msg_for", "MSG_PARAM_MAX_BYTES"]

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
                 meter: Callable[[str], None] | None = None) -> None:
        self._app_key = app_key
        self._app_secret = app_secret
        self.robot_code = robot_code or app_key  # an enterprise internal robot's code is its AppKey
        self._endpoint = endpoint.rstrip("/")
        self._clock = clock
        self._meter = meter  # told of every metered request (all but the token's): the monthly quota
        self._lock = threading.Lock()
        self._token: str | None = None
        self._token_until = 0.0
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
        return self._send(PRIVATE_SEND_PATH, {"robotCode": self.robot_code, "userIds": list(user_ids),
                                              "msgKey": msg_key, "msgParam": msg_param})

    def deliver_card(self, body: dict[str, Any]) -> dict[str, Any]:
        answer = self._send(CARD_DELIVER_PATH, body)
        if answer.get("success") is False:
            raise OpenAPIError(f"{CARD_DELIVER_PATH}: not delivered {str(answer.get('result', ''))[:120]}",
                               refused=True)
        return answer

    def update_card(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._send(CARD_UPDATE_PATH, body, method="PUT")

    def _send(self, path: str, body: dict[str, Any], method: str = "POST") -> dict[str, Any]:
        token = self.token()
        try:
            return self._call(path, body, token, method)
        except _Unauthorized:
            # revoked or expired early: one retry with a fresh token (the first was turned away, so
            # the message cannot show twice)
            self._forget(token)
            return self._call(path, body, self.token(), method)

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
        if response.status_code in (401, 403) and token is not None:
            raise _Unauthorized(f"{path}: HTTP {response.status_code} {answer.get('code', '')}")
        failure = status_failure(response.status_code)
        if failure is not None:
            raise OpenAPIError(f"{path}: HTTP {response.status_code} {str(answer.get('code', ''))[:60]} "
                               f"{str(answer.get('message', ''))[:100]}", maybe_received=failure.maybe_received,
                               refused=failure.refused)
        return answer


class _Unauthorized(OpenAPIError):
    pass
