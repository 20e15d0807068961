"""Binding WeChat accounts to roster members, as the secretary's tools do it: issuing binding codes for a branch (or
every branch) — the same for `studybot members codes` and the dashboard's 微信绑定 page — telling a branch's
书记 and 委员 privately that someone asked to be bound (申请绑定), and telling the one who asked what was decided."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from bot.services.branch_notice import tell_branch_managers
from bot.storage.bind_codes import CODE_DAYS, issue_codes, unbound_members
from bot.storage.bind_requests import Decided
from bot.storage.branches import branch_names
from bot.storage.models import Member
from bot.storage.outbox import Push, enqueue
from bot.storage.people import all_members

__all__ = ["CODE_HEADERS", "issue_branch_codes", "tell_about_request", "request_notice", "binding_page",
           "tell_applicant", "decision_text"]

CODE_HEADERS = ["支部", "姓名", "绑定码", "有效期至"]

log = logging.getLogger(__name__)


def issue_branch_codes(*, session: Session, branch_id: int | None, now: datetime, days: int = CODE_DAYS,
                       unbound_only: bool = False) -> list[list[str]]:
    """New codes (the old ones void) for the rostered members of `branch_id` (None: every branch), or only those not
    bound yet; one row per member in CODE_HEADERS' order, by branch and name. [] when there is nobody to issue for.
    The caller commits."""
    members: list[Member] = [m for m in all_members(session=session, branch_id=branch_id, any_branch=branch_id is None)
                             if m.rostered]
    if unbound_only:
        members = unbound_members(session=session, members=members)
    if not members:
        return []
    branches = branch_names(session=session)
    issued = issue_codes(session=session, members=members, now=now, days=days)
    return sorted(([branches.get(i.branch_id, "") if i.branch_id is not None else "", i.name, i.code,
                    i.expires_at.strftime("%Y-%m-%d %H:%M")] for i in issued), key=lambda r: (r[0], r[1]))


def binding_page(base: str, branch_id: int) -> str:
    """The dashboard page where a branch's codes are issued and its requests decided."""
    return f"{base}/branch/{branch_id}/binding"


def request_notice(name: str, note: str, link: str) -> str:
    said = f"，留言：{note}" if note else ""
    where = f"：{link}" if link else "（管理后台「支部」页的「微信绑定」）"
    return (f"有人在微信中申请绑定为本支部成员「{name}」{said}。请核实是本人后，在管理后台同意或拒绝{where}。"
            "如不是本人，请拒绝。")


def tell_about_request(session: Session, *, request_id: int, member: Member, note: str, base: str,
                       now: datetime) -> int:
    """The private notes to the member's branch's 书记 and 委员 (once per request and account); how many were
    written. In the caller's transaction."""
    if member.branch_id is None:
        return 0
    link = binding_page(base, member.branch_id) if base else ""
    written = tell_branch_managers(session, branch_id=member.branch_id, occasion=f"bind-request:{request_id}",
                                   text=request_notice(member.name, note, link), now=now)
    if written is None:
        log.warning("binding request %s waits in branch %s, which has no 书记 or 委员 to tell: a 管理员 decides it "
                    "on the dashboard", request_id, member.branch_id)
        return 0
    return written


def decision_text(decided: Decided, link: str) -> str:
    """Its first line is the template message's title (bot/channels/wechat_mp/template.py)."""
    who = f"{decided.branch}成员「{decided.name}」" if decided.branch else f"「{decided.name}」"
    if decided.approved:
        return f"绑定申请已通过\n您已绑定为{who}，以后在微信中点开支部群里的链接即可直接进入：{link}"
    return (f"绑定申请未通过\n您申请绑定为{who}，未获同意。如确是本人，请向本支部书记索取绑定码后再绑定："
            f"{link}")


def tell_applicant(session: Session, *, decided: Decided, channel: str, base: str, now: datetime) -> int:
    """The note to the Official Account account that asked: its request approved (with the members' pages) or
    refused (with the bind page, for a code); through the outbox, once per request. In the caller's transaction."""
    link = f"{base}{'/h5/' if decided.approved else '/h5/bind'}" if base else ""
    push = Push(key=f"bind-decided:{decided.request_id}", kind="notice", channel=channel, chat_id=decided.openid,
                chat_name="私聊", is_group=False, text=decision_text(decided, link), due_at=now, link=link or None)
    return enqueue(session=session, pushes=[push], now=now)
