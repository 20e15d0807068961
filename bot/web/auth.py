"""Dashboard sessions: a signed cookie holding the member, when the session began and when it was last used.

Signing is itsdangerous's (HMAC-SHA1 over a key derived from the secret, with a salt per purpose) rather than hand-
written hmac code: its timing-safe comparison and key derivation are reviewed and used by Flask. Its own timestamps
are not used: they read the system time, and the idle timeout must follow the injected clock (tests move it)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer

__all__ = ["SessionData", "Sessions", "SESSION_COOKIE", "LOGIN_COOKIE"]

SESSION_COOKIE = "studybot_session"
LOGIN_COOKIE = "studybot_login"  # the login form's double-submit token, before there is a session
_STAMP = "%Y-%m-%dT%H:%M:%S"
# cookies whose signature was checked, kept parsed: a live contest's 10,000 pages send the same cookies again and
# again, and checking and parsing one costs ~0.2 ms (bench/h5.py). Only the exact string that verified is kept.
# As many CSRF tokens, each computed once per session (an HMAC and a strftime per answer otherwise).
LOADED = 20_000


@dataclass(frozen=True)
class SessionData:
    member_id: int
    issued: datetime
    seen: datetime
    nonce: str  # per session: what its CSRF token is made from


class Sessions:
    def __init__(self, key: str, *, idle_minutes: int) -> None:
        self._cookies = URLSafeSerializer(key, salt="studybot.web.session")
        self._key = hashlib.sha256(("studybot.web.csrf:" + key).encode()).digest()
        self.idle = timedelta(minutes=idle_minutes)
        self._loaded: dict[str, SessionData] = {}
        self._tokens: dict[tuple[int, datetime, str], str] = {}  # sessions' CSRF tokens, each made once

    def new(self, member_id: int, now: datetime) -> SessionData:
        return SessionData(member_id, now, now, secrets.token_urlsafe(12))

    def dump(self, data: SessionData) -> str:
        return str(self._cookies.dumps([data.member_id, data.issued.strftime(_STAMP), data.seen.strftime(_STAMP),
                                        data.nonce]))

    def load(self, cookie: str | None, now: datetime) -> SessionData | None:
        """The session a cookie holds, if its signature holds and it has not been idle too long."""
        if not cookie:
            return None
        data = self._loaded.get(cookie)
        if data is None:
            try:
                member_id, issued, seen, nonce = self._cookies.loads(cookie)
                data = SessionData(int(member_id), datetime.strptime(issued, _STAMP),
                                   datetime.strptime(seen, _STAMP), str(nonce))
            except (BadSignature, ValueError, TypeError):
                return None
            if len(self._loaded) >= LOADED:
                self._loaded.clear()
            self._loaded[cookie] = data
        if now - data.seen > self.idle or data.seen > now + timedelta(minutes=1):
            return None
        return data

    def touched(self, data: SessionData, now: datetime) -> SessionData:
        return SessionData(data.member_id, data.issued, max(now, data.seen), data.nonce)

    def csrf(self, data: SessionData) -> str:
        known = (data.member_id, data.issued, data.nonce)  # the same for every renewal of a session
        token = self._tokens.get(known)
        if token is None:
            message = f"{data.member_id}|{data.issued.strftime(_STAMP)}|{data.nonce}".encode()
            token = hmac.new(self._key, message, hashlib.sha256).hexdigest()[:40]
            if len(self._tokens) >= LOADED:
                self._tokens.clear()
            self._tokens[known] = token
        return token

    def csrf_ok(self, data: SessionData, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf(data), str(token))
