"""Binding a WeChat account (the Official Account's openid) to a roster member, once, with a short code the secretary
hands out (studybot members codes): issuing the codes, and checking one a member typed with their name.

A code is 6 characters from an alphabet without 0/O/1/I, stored as a hash salted with its member (a copy of the
database gives no code, and a code fits only its own member's name); one per member, issuing again voids the old
one; usable once, for CODE_DAYS days. Wrong tries are counted in the database per WeChat account and per member
(FAIL_LIMIT in FAIL_MINUTES), so every instance refuses alike. A refusal stores nothing but the failed try."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from bot.storage.models import Identity, Member
from bot.storage.models_web import BindCode, BindFailure
from safeio.text import plain_name

__all__ = ["ALPHABET", "CODE_DAYS", "FAIL_LIMIT", "FAIL_MINUTES", "WECHAT_MP", "BindRefused", "Issued",
           "issue_codes", "bind_account", "bound_member", "unbound_members", "account_locked", "record_failure",
           "rostered_named", "free_to_bind", "attach"]

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud or copied from a chat without doubt
CODE_LENGTH = 6
CODE_DAYS = 14
FAIL_LIMIT, FAIL_MINUTES = 5, 15
WECHAT_MP = "wechat_mp"  # the Official Account's channel name (its senders are Identity rows by openid)

WRONG = "姓名或绑定码不正确，请核对后重试（绑定码为 6 位字母或数字，不区分大小写）。"
TOO_MANY = f"尝试次数过多，请 {FAIL_MINUTES} 分钟后再试；如忘记绑定码，请联系本支部书记重新获取。"
USED = "这个绑定码已经用过了（每个绑定码只能用一次）。如需重新绑定，请联系本支部书记重新发放绑定码。"
EXPIRED = "这个绑定码已过期，请联系本支部书记重新获取。"
TAKEN = "您的姓名已绑定了另一个微信号。如已更换微信，请联系本支部书记重新发放绑定码后再绑定。"


class BindRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Issued:
    member_id: int
    name: str
    branch_id: int | None
    code: str
    expires_at: datetime


def _hash(member_id: int, code: str) -> str:
    return hashlib.sha256(f"studybot.bind:{member_id}:{code}".encode()).hexdigest()


def _normal(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def issue_codes(*, session: Session, members: Sequence[Member], now: datetime, days: int = CODE_DAYS) -> list[Issued]:
    """A new code for each member (the old ones void). The caller commits."""
    ids = [m.id for m in members if m.id is not None]
    if not ids:
        return []
    bound = set(session.execute(select(Identity.member_id).where(
        Identity.channel == WECHAT_MP, Identity.member_id.in_(ids))).scalars())  # type: ignore[attr-defined]
    session.execute(delete(BindCode).where(BindCode.member_id.in_(ids)))  # type: ignore[attr-defined]
    issued: list[Issued] = []
    expires = now + timedelta(days=days)
    for member in members:
        if member.id is None:
            continue
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        session.add(BindCode(member_id=member.id, code_hash=_hash(member.id, code), issued_at=now, expires_at=expires,
                             rebind=member.id in bound))
        issued.append(Issued(member.id, member.name, member.branch_id, code, expires))
    session.flush()
    return issued


def unbound_members(*, session: Session, members: Sequence[Member]) -> list[Member]:
    """Those of `members` bound to no WeChat account yet."""
    ids = [m.id for m in members if m.id is not None]
    bound = set(session.execute(select(Identity.member_id).where(
        Identity.channel == WECHAT_MP, Identity.member_id.in_(ids))).scalars()) if ids else set()  # type: ignore[attr-defined]
    return [m for m in members if m.id is not None and m.id not in bound]


def bound_member(*, session: Session, openid: str) -> Member | None:
    """The roster member a WeChat account is bound to; None when unbound, or when it only maps to someone the chat
    made up (a sender of the Official Account the roster does not name)."""
    member = session.execute(select(Member).join(Identity, Identity.member_id == Member.id).where(
        Identity.channel == WECHAT_MP, Identity.external_id == openid)).scalars().first()
    return member if member is not None and member.rostered else None


def _failures(session: Session, subject: str, now: datetime) -> int:
    since = now - timedelta(minutes=FAIL_MINUTES)
    return int(session.execute(select(func.count()).select_from(BindFailure).where(
        BindFailure.subject == subject, BindFailure.at > since)).scalar_one())


def account_locked(*, session: Session, openid: str, now: datetime) -> bool:
    """Whether this WeChat account has had FAIL_LIMIT wrong tries (codes or names) in the last FAIL_MINUTES."""
    return _failures(session, f"openid:{openid}", now) >= FAIL_LIMIT


def record_failure(*, session: Session, subjects: Sequence[str], now: datetime) -> None:
    """Count a wrong try against each subject ("openid:…", "member:12"), committed at once: the refusal that
    follows rolls nothing else back, and the count holds on every instance."""
    session.execute(delete(BindFailure).where(BindFailure.at < now - timedelta(days=1)))
    for subject in subjects:
        session.add(BindFailure(subject=subject[:220], at=now))
    session.commit()


def rostered_named(*, session: Session, name: str) -> list[Member]:
    """The rostered members called `name` as a person would type it (spaces and full-width forms do not matter)."""
    name = plain_name(name.strip()) or name.strip()
    return list(session.execute(select(Member).where(Member.name == name, Member.rostered == True)  # noqa: E712
                                .order_by(Member.id)).scalars())


def free_to_bind(*, session: Session, openid: str, member: Member, may_move: bool) -> list[Identity]:
    """The member's other WeChat accounts, which binding `openid` would replace; BindRefused(TAKEN) when there are
    some and `may_move` is False, or when `openid` is already another member's."""
    mine = list(session.execute(select(Identity).where(Identity.channel == WECHAT_MP,
                                                       Identity.member_id == member.id)).scalars())
    others = [i for i in mine if i.external_id != openid]
    if others and not may_move:
        raise BindRefused(TAKEN)
    holder = bound_member(session=session, openid=openid)
    if holder is not None and holder.id != member.id:
        raise BindRefused(f"这个微信号已绑定成员「{holder.name}」，不能再绑定他人。如有误，请联系本支部书记。")
    return others


def attach(*, session: Session, openid: str, member_id: int, replacing: Sequence[Identity]) -> None:
    """Write the binding (after free_to_bind): `replacing` (the member's old accounts) no longer open the pages."""
    for old in replacing:
        session.delete(old)
    existing = session.execute(select(Identity).where(Identity.channel == WECHAT_MP,
                                                      Identity.external_id == openid)).scalars().first()
    if existing is None:
        session.add(Identity(channel=WECHAT_MP, external_id=openid, member_id=member_id))
    else:  # an account the Official Account's chat had seen: now it is this member's
        existing.member_id = member_id
        session.add(existing)
    session.flush()


def bind_account(*, session: Session, openid: str, name: str, code: str, now: datetime) -> Member:
    """Bind `openid` to the rostered member called `name` whose code `code` is, or BindRefused with the reason.
    On success the code is spent and the Identity written; the caller adds the audit line and commits."""
    account = f"openid:{openid}"
    if account_locked(session=session, openid=openid, now=now):
        raise BindRefused(TOO_MANY)
    code = _normal(code)
    candidates = rostered_named(session=session, name=name)
    if any(_failures(session, f"member:{m.id}", now) >= FAIL_LIMIT for m in candidates):
        raise BindRefused(TOO_MANY)
    rows = {row.member_id: row for row in session.execute(select(BindCode).where(
        BindCode.member_id.in_([m.id for m in candidates]))).scalars()} if candidates else {}  # type: ignore[attr-defined]
    match = next(((m, rows[m.id]) for m in candidates if m.id in rows
                  and hmac.compare_digest(rows[m.id].code_hash, _hash(m.id, code))), None)  # type: ignore[arg-type]
    if match is None or len(code) != CODE_LENGTH:
        record_failure(session=session, subjects=[account, *(f"member:{m.id}" for m in candidates)], now=now)
        raise BindRefused(WRONG)
    member, row = match
    if row.used_at is not None:
        raise BindRefused(USED)
    if row.expires_at <= now:
        raise BindRefused(EXPIRED)
    assert member.id is not None
    others = free_to_bind(session=session, openid=openid, member=member, may_move=row.rebind)
    spent = session.execute(update(BindCode).where(BindCode.id == row.id, BindCode.used_at.is_(None))  # type: ignore[union-attr]
                            .values(used_at=now))
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise BindRefused(USED)
    attach(session=session, openid=openid, member_id=member.id, replacing=others)
    return member
