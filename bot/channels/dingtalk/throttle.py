"""What the OpenAPI's 403 means, and what the bot does about it (issue 13).

DingTalk answers 403 for three kinds of thing, told apart by the answer's `code`; only 401 means the token:
- a rate limit (`QpsLimitForAppkeyAndApi`: 20 calls a second per app and API; `QpsLimitForApi`, platform
  wide; `QpsLimitForIp`): nothing was done, sending again a second later is safe. `Pacer` keeps every
  API under `PER_SECOND` calls a second, and a rate-limit answer pauses that API for a second;
- the organisation's monthly quota used up (`ApiCountLimitForOrg`, 90020), and
- a missing permission (any other 403, e.g. `Forbidden.AccessDenied`): nothing will change until
  someone acts. `Holds` stops calling (every metered API for the quota, the one API for a permission)
  for `QUOTA_HOLD_S` / `PERMISSION_HOLD_S`, answering `held` failures without a request meanwhile:
  the outbox keeps such pushes pending. The admins are told once, by one ERROR line in the log
  (what happened and what to do), and again only after a call has gone through since."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from bot.channels.common.rate_window import RateWindow

__all__ = ["Pacer", "Holds", "forbidden_kind", "PER_SECOND", "ALL_APIS"]

log = logging.getLogger(__name__)

PER_SECOND = 18  # DingTalk allows 20 a second per app and API: stay under it
RATE_LIMIT_PAUSE_S = 1.0  # DingTalk's QPS windows are one second long
QUOTA_HOLD_S = 3600.0
PERMISSION_HOLD_S = 600.0
QUOTA_CODES = frozenset({"ApiCountLimitForOrg", "90020"})
ALL_APIS = "*"  # the quota is the organisation's: it holds every metered API


def forbidden_kind(answer: dict[str, Any]) -> str:
    """"rate", "quota" or "permission": what a 403's answer says."""
    code = str(answer.get("code") or "")
    if code.startswith("QpsLimit") or code.startswith("Throttling"):
        return "rate"
    if code in QUOTA_CODES or "ApiCountLimit" in code:
        return "quota"
    return "permission"


class Pacer:
    """At most `per_second` calls a second to each API path, from any thread: a caller over the limit
    sleeps (`sleep`, blocking: the OpenAPI runs in threads) until there is room."""

    def __init__(self, *, clock: Callable[[], float], sleep: Callable[[float], None],
                 per_second: int = PER_SECOND) -> None:
        self._clock, self._sleep = clock, sleep
        self._window = RateWindow(((per_second, 1.0),))
        self._paused: dict[str, float] = {}
        self._lock = threading.Lock()

    def take(self, path: str) -> None:
        while True:
            with self._lock:
                now = self._clock()
                wait = max(self._window.wait(path, now), self._paused.get(path, now) - now)
                if wait <= 0:
                    self._window.record(path, now)
                    return
            self._sleep(wait)

    def pause(self, path: str, seconds: float = RATE_LIMIT_PAUSE_S) -> None:
        """DingTalk said "too fast": no call to `path` for `seconds`."""
        with self._lock:
            self._paused[path] = max(self._paused.get(path, 0.0), self._clock() + seconds)


class Holds:
    """APIs DingTalk will not serve until someone acts (a quota, a permission)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._until: dict[str, tuple[float, str]] = {}  # scope -> (until, reason)
        self._told: set[str] = set()  # scopes whose hold the log has announced
        self._lock = threading.Lock()

    def reason(self, path: str) -> str | None:
        """Why `path` is held now (None: call it)."""
        with self._lock:
            now = self._clock()
            for scope in (ALL_APIS, path):
                until, reason = self._until.get(scope, (0.0, ""))
                if now < until:
                    return reason
        return None

    def hold(self, path: str, kind: str, detail: str) -> str:
        """DingTalk answered `path` with a quota or permission 403: hold, tell once; the reason."""
        scope, seconds = (ALL_APIS, QUOTA_HOLD_S) if kind == "quota" else (path, PERMISSION_HOLD_S)
        if kind == "quota":
            reason = f"the organisation's OpenAPI quota is used up ({detail})"
            advice = "raise the quota (DingTalk edition) or wait for next month"
        else:
            reason = f"the app lacks the permission for {path} ({detail})"
            advice = "grant it in the developer console (开发者后台 → 权限管理)"
        with self._lock:
            self._until[scope] = (self._clock() + seconds, reason)
            first = scope not in self._told
            self._told.add(scope)
        if first:
            log.error("dingtalk: %s: no OpenAPI call for %d minutes at a time, pushes stay pending in the "
                      "outbox and replies go only through session webhooks; %s", reason, seconds // 60, advice)
        return reason

    def served(self, path: str) -> None:
        """A call to `path` went through: its holds are over."""
        with self._lock:
            ended = [scope for scope in (ALL_APIS, path) if scope in self._told]
            for scope in ended:
                self._told.discard(scope)
                self._until.pop(scope, None)
        for scope in ended:
            log.warning("dingtalk: OpenAPI %s answers again", "calls" if scope == ALL_APIS else scope)
