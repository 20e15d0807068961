"""学习 on a member's page: the study items pushed to the member's branch (newest first), and which items the
member has marked 已学. Portable SQL (SQLite and PostgreSQL), the member's own rows only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.storage.models import StudyRead
from bot.storage.models_schedule import OutboxRow

__all__ = ["pushed_to_branch", "read_items"]


def pushed_to_branch(session: Session, branch_id: int | None, before: datetime, limit: int = 30) -> list[str]:
    """Item ids sent to the branch's groups up to `before`, the latest push first."""
    if branch_id is None:
        return []
    latest = func.max(OutboxRow.sent_at)
    rows = session.exec(select(OutboxRow.item_id, latest)
                        .where(OutboxRow.branch_id == branch_id, OutboxRow.status == "sent",
                               col(OutboxRow.item_id).is_not(None), col(OutboxRow.sent_at) <= before)
                        .group_by(OutboxRow.item_id).order_by(latest.desc()).limit(limit)).all()
    return [item_id for item_id, _ in rows if item_id]


def read_items(session: Session, member_id: int) -> set[str]:
    return set(session.exec(select(StudyRead.item_id).where(StudyRead.member_id == member_id)).all())
