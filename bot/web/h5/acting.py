"""A member page acting as the member would in a private chat: the same service call (每日一题, 错题练习, 已学,
排行榜 …) on a Context built for the logged-in member, in one transaction, so points, caps, notes and records are
those of the chat command — and a second try (a double tap, the chat first) meets the same once-only rules."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.messages import Chat, Incoming, Outgoing, Sender
from bot.services.context import Context, MemberInfo
from bot.storage.models import Member
from bot.web.dashboard import Dashboard, Refused
from bot.web.viewer import Viewer
from safeio.text import plain_text

__all__ = ["Acted", "act", "with_text", "H5_CHANNEL", "MAX_ANSWER"]

log = logging.getLogger(__name__)

H5_CHANNEL = "h5"
MAX_ANSWER = 500  # what an answer may be; the chat reads 2,000 characters of a message
TWICE = "您已经提交过了，请勿重复提交。请刷新页面查看结果。"


@dataclass(frozen=True)
class Acted:
    """What the service answered (the chat's reply text, line by line), and what `after` read in the same session."""
    lines: list[str]
    extra: object = None


def _context(session: Session, viewer: Viewer, text: str, dash: Dashboard, args: list[str]) -> Context:
    member = session.get(Member, viewer.member_id)
    if member is None or member.id is None:
        raise Refused(401, "请先登录。", "请登录")
    now = dash.app.clock.now()
    chat = Chat(H5_CHANNEL, f"member:{member.id}", False, member.name)
    incoming = Incoming(chat, Sender(f"member:{member.id}", member.name), text, f"h5:{uuid.uuid4().hex}", now)
    info = MemberInfo(member.id, member.name, member.branch_id, member.role, bool(member.rostered))
    return Context(session, incoming, info, None, now, args)


def act(dash: Dashboard, viewer: Viewer, call: Callable[[Context], list[Outgoing] | None], *, text: str = "",
        args: list[str] | None = None, after: Callable[[Context], object] | None = None) -> Acted | None:
    """Run `call` for the member, as the dispatcher would for their private message, and commit. None when the
    service had nothing to say (no pending question). A write that loses a race (the same answer from the chat a
    moment earlier) is refused with a clear message, nothing stored."""
    text = plain_text(text[:MAX_ANSWER]).strip()
    with dash.app.db.session() as session:
        ctx = _context(session, viewer, text, dash, args or [])
        replies = call(ctx)
        extra = after(ctx) if after is not None else None
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            log.info("h5: a repeated write by member %s ignored", viewer.member_id)
            raise Refused(409, TWICE, "已经提交过") from None
    if replies is None:
        return None
    return Acted([line for reply in replies for line in reply.text.splitlines()], extra)


def with_text(ctx: Context, text: str) -> None:
    """The member's message becomes `text` (an answer read from the form), cleaned as the dispatcher cleans it."""
    ctx.incoming = replace(ctx.incoming, text=plain_text(text[:MAX_ANSWER]).strip())
