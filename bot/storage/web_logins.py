"""The dashboard's rows: login links (issued, redeemed once), platform login states (used once), the audit trail,
and the cookie-signing key."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.storage.models_web import WebAudit, WebKey, WebLogin, WebLoginState

__all__ = ["issue_login", "redeem_login", "login_state", "audit", "signing_key", "token_hash", "use_state"]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_login(*, session: Session, member_id: int, now: datetime, minutes: int) -> str:
    """A new link's token (shown once; only its hash is stored). The caller commits."""
    token = secrets.token_urlsafe(32)
    session.add(WebLogin(token_hash=token_hash(token), member_id=member_id, created_at=now,
                         expires_at=now + timedelta(minutes=minutes)))
    session.flush()
    return token


def login_state(*, session: Session, token: str, now: datetime) -> int | None:
    """The member a link is for while it is unused and unexpired (nothing changes: a link preview in a chat client
    fetches the page too); None otherwise."""
    row = session.execute(select(WebLogin).where(WebLogin.token_hash == token_hash(token))).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row.member_id


def redeem_login(*, session: Session, token: str, now: datetime) -> int | None:
    """Mark the link used and return its member, or None when it is unknown, used or expired. One conditional
    UPDATE: of two requests racing with the same link, only one changes the row. The caller commits, together
    with the login's audit line."""
    hashed = token_hash(token)
    result = session.execute(update(WebLogin).where(WebLogin.token_hash == hashed, WebLogin.used_at.is_(None),
                                                    WebLogin.expires_at > now).values(used_at=now))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return session.execute(select(WebLogin.member_id).where(WebLogin.token_hash == hashed)).scalar_one()


def audit(*, session: Session, member_id: int | None, action: str, detail: str, now: datetime) -> None:
    session.add(WebAudit(member_id=member_id, action=action, detail=detail[:500], at=now))


def signing_key(*, session: Session) -> str:
    """The key kept in the database (made at first use); two instances starting together keep the first one."""
    row = session.get(WebKey, 1)
    if row is not None:
        return row.key
    try:
        session.add(WebKey(id=1, key=secrets.token_urlsafe(48)))
        session.commit()
    except IntegrityError:
        session.rollback()
    row = session.get(WebKey, 1)
    assert row is not None
    return row.key


def use_state(*, session: Session, state: str, now: datetime) -> bool:
    """Record a platform login's state as used; False when it was used before (here or on another instance). A
    state lives minutes: rows a day old are deleted. Commits (the state is spent even if the login then fails)."""
    session.execute(delete(WebLoginState).where(WebLoginState.used_at < now - timedelta(days=1)))
    try:
        session.add(WebLoginState(state_hash=token_hash(state), used_at=now))
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True
