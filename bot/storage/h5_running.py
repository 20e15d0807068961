"""进行中的竞赛 on a member's start page (/h5/): the running contests in the groups of the member's branch — its chat
groups and its virtual group on WeChat — a 全委竞赛's part among them. Portable SQL (SQLite and PostgreSQL); the
branch condition is in the query, so no other branch's contest is ever read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.storage.models import ChatGroup, ContestRow

__all__ = ["RunningHere", "running_in_branch"]


@dataclass(frozen=True)
class RunningHere:
    contest_id: int
    group: str
    bank: str
    started_at: datetime
    in_round: bool  # a 全委竞赛's part


def running_in_branch(session: Session, branch_id: int | None, limit: int = 20) -> list[RunningHere]:
    """The running contests of the branch's groups, the latest started first (none for a member without a branch)."""
    if branch_id is None:
        return []
    rows = session.exec(select(ContestRow.id, ChatGroup.name, ContestRow.bank, ContestRow.started_at,
                               ContestRow.round_id)
                        .join(ChatGroup, col(ChatGroup.id) == ContestRow.group_id)
                        .where(ContestRow.status == "running", ChatGroup.branch_id == branch_id)
                        .order_by(col(ContestRow.started_at).desc(), col(ContestRow.id).desc()).limit(limit)).all()
    return [RunningHere(contest_id or 0, group, bank, started, round_id is not None)
            for contest_id, group, bank, started, round_id in rows]
