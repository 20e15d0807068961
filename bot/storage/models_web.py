"""The dashboard's tables (schema 9): one-time login links, what was done there (the audit trail), and the key that
signs its session cookies when studybot.yaml names none; the members' pages' WeChat binding (codes, wrong tries, and
requests a secretary approves). New tables here are made by create_schema wherever they are missing."""

from __future__ import annotations

from pydantic import NaiveDatetime as datetime  # Shanghai wall-clock time, like every table (models.py)
from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

__all__ = ["WebLogin", "WebAudit", "WebKey", "WebLoginState", "BindCode", "BindFailure", "BindRequest"]


class WebLogin(SQLModel, table=True):
    """A login link: only the SHA-256 of its token is kept, so a copy of the database opens no session. `used_at` is
    set in the transaction that issues the session: a link is usable once."""
    __tablename__ = "web_login"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class WebAudit(SQLModel, table=True):
    """Who did what on the dashboard: login, logout, export (the detail names what was exported)."""
    __tablename__ = "web_audit"
    __table_args__ = (Index("ix_web_audit_at", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    member_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    action: str = Field(max_length=20)
    detail: str = Field(default="", max_length=500)
    at: datetime


class WebKey(SQLModel, table=True):
    """The random key that signs session cookies when web.secret is empty: one row, made at first use, shared by every
    instance on the database."""
    __tablename__ = "web_key"
    id: int = Field(default=1, primary_key=True)
    key: str = Field(max_length=128)


class WebLoginState(SQLModel, table=True):
    """A platform login's `state` once its callback came back (the SHA-256 of it): the unique key makes a state
    usable once, whichever instance the callback reaches. Rows older than a day are deleted as new ones come."""
    __tablename__ = "web_login_state"
    id: int | None = Field(default=None, primary_key=True)
    state_hash: str = Field(max_length=64, unique=True)
    used_at: datetime = Field(index=True)


class BindCode(SQLModel, table=True):
    """A member's binding code for the members' pages (studybot members codes): only a hash of it, one per member
    (issuing again replaces it), usable once before `expires_at`. `rebind`: issued while the member was already
    bound to a WeChat account, so it may move the binding to another one (a new phone)."""
    __tablename__ = "bind_code"
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", unique=True)
    code_hash: str = Field(max_length=64)
    issued_at: datetime
    expires_at: datetime
    used_at: datetime | None = None
    rebind: bool = False


class BindFailure(SQLModel, table=True):
    """A wrong binding attempt, by WeChat account ("openid:…") and by member ("member:12"): counted in the
    database so that every instance refuses after the same few tries. Rows a day old are deleted as new ones come."""
    __tablename__ = "bind_failure"
    __table_args__ = (Index("ix_bind_failure_subject_at", "subject", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=220)
    at: datetime


class BindRequest(SQLModel, table=True):
    """申请绑定: a WeChat account (openid) asking, without a code, to be bound to the roster member `member_id`; the
    member's 书记 or 委员 (or a 管理员) approves or refuses it on the dashboard. `status`: pending, approved, refused,
    lapsed (still pending after REQUEST_DAYS when the same account asked again). The partial unique index keeps one
    pending request per account, whichever instance two racing requests reach."""
    __tablename__ = "bind_request"
    __table_args__ = (Index("ux_bind_request_pending", "openid", unique=True,
                            sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
                      Index("ix_bind_request_openid_asked", "openid", "asked_at"))
    id: int | None = Field(default=None, primary_key=True)
    openid: str = Field(max_length=128)
    member_id: int = Field(foreign_key="member.id", index=True)
    note: str = Field(default="", max_length=200)
    status: str = Field(default="pending", max_length=10)
    asked_at: datetime
    decided_at: datetime | None = None
    decided_by: int | None = Field(default=None, foreign_key="member.id")
