"""Study pushes arranged by a secretary (安排推送), and how far each plan has got in each chat."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.storage.models import OutboxRow, ScheduledPush

__all__ = ["live_pushes", "plan_pushes_sent", "push_outcome"]


def live_pushes(*, session: Session, branch_id: int | None = None, any_branch: bool = True) -> list[ScheduledPush]:
    """Arranged pushes not cancelled, oldest first: every branch's, or with `any_branch` False only `branch_id`'s."""
    query = select(ScheduledPush).where(col(ScheduledPush.cancelled_at).is_(None))
    if not any_branch:
        query = query.where(ScheduledPush.branch_id == branch_id)
    return list(session.exec(query.order_by(ScheduledPush.id)))


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def plan_pushes_sent(*, session: Session, entry_id: str, channel: str, chat_id: str) -> int:
    """How many outbox rows the plan entry has written for the chat: the plan's place in its items there
    (its rows' keys are plan:<entry>:<occurrence>:<channel>:<chat>)."""
    pattern = f"{_like(f'plan:{entry_id}:')}%{_like(f':{channel}:{chat_id}')}"
    return session.exec(select(func.count()).select_from(OutboxRow).where(
        col(OutboxRow.key).like(pattern, escape="\\"))).one()


def push_outcome(*, session: Session, push_id: int) -> str:
    """What became of an arranged push's runs, by its outbox rows (keys push:<id>:<occurrence>:<channel>:<chat>):
    "sent" when one reached a group (or most likely did), else "pending", "failed", or "" when it wrote none."""
    statuses = set(session.exec(select(OutboxRow.status).where(
        col(OutboxRow.key).like(f"{_like(f'push:{push_id}:')}%", escape="\\"))).all())
    for outcome, found in (("sent", {"sent", "unsure"}), ("pending", {"pending"}), ("failed", {"failed"})):
        if statuses & found:
            return outcome
    return ""
