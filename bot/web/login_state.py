"""The `state` of a platform login (WeCom 网页授权/扫码, DingTalk 免登/扫码): random, bound to the browser, single use,
short-lived.

Bound: the state goes to the platform in the URL and into a signed cookie in this browser; the callback must bring
both back equal (like the one-time link's double-submit token), so a callback URL from another browser — a login
CSRF that would log the victim in as the attacker — is refused. Single use: the callback's answer deletes the
cookie, and the caller records the state as used in the database (web_logins.use_state: a unique key, so a second
callback with a copied cookie is refused on every instance). Short-lived: the cookie carries when it was made, read
against the injected clock."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

__all__ = ["StateCookies", "STATE_COOKIE", "STATE_MINUTES", "local_path"]

STATE_COOKIE = "studybot_oauth"
STATE_MINUTES = 10  # a WeCom code lives 5 minutes; the person may take a while to scan
_STAMP = "%Y-%m-%dT%H:%M:%S"


def local_path(value: str | None, default: str = "/") -> str:
    """`value` when it is a path on this site (where a login goes back to: `next`), else `default`: no scheme, no
    host (//evil, /\\evil), no control characters — a login never sends the browser elsewhere (open redirect)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")) or len(value) > 1000:
        return default
    if any(ord(c) < 32 or c == "\\" for c in value):
        return default
    return value


@dataclass(frozen=True)
class Pending:
    state: str
    flow: str  # which login the state was made for: wecom, wecom_qr, dingtalk, dingtalk_qr, wechat_mp
    back: str = "/"  # the local path to go to once logged in (`next`)


class StateCookies:
    def __init__(self, key: str) -> None:
        self._cookies = URLSafeSerializer(key, salt="studybot.web.oauth-state")

    def new(self, flow: str, now: datetime, back: str = "/") -> tuple[str, str]:
        """(state, cookie value); `back` is where the login goes afterwards (a local path)."""
        state = secrets.token_urlsafe(24)
        return state, str(self._cookies.dumps([state, flow, now.strftime(_STAMP), local_path(back)]))

    def check(self, cookie: str | None, state: str | None, flows: tuple[str, ...], now: datetime) -> Pending | None:
        """The pending login when `state` is the one this browser's cookie holds, made for one of `flows` and not
        expired; None otherwise. Whether it was used before is the database's to say (use_state)."""
        if not cookie or not state:
            return None
        try:
            held, flow, made, *rest = self._cookies.loads(cookie)
            issued = datetime.strptime(str(made), _STAMP)
            back = local_path(str(rest[0]) if rest else "/")
        except (BadSignature, ValueError, TypeError):
            return None
        if not hmac.compare_digest(str(held), state) or flow not in flows:
            return None
        if not issued - timedelta(minutes=1) <= now <= issued + timedelta(minutes=STATE_MINUTES):
            return None
        return Pending(state, str(flow), back)
