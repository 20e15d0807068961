"""Rows that carry their member's branch: points_total and study_read keep `branch_id` beside `member_id`, so a
branch's figures (排行 by branch, 学习's reads per branch) read one covering index instead of looking up the member
of every row — at 100,000 members the look-ups and the sort they force took ~80 ms of a page's 150 ms
(bench/dashboard.py). The column is the member's branch now, as a join would give: written with the row (from the
member) and moved with the member when the roster moves them (follow_moves)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection

from bot.storage.fast import DriverStatement
from bot.storage.models import Member

__all__ = ["follow_moves", "MEMBER_BRANCH"]

# the member's branch, inside an INSERT's VALUES (one primary-key look-up per row written)
MEMBER_BRANCH = "(SELECT branch_id FROM member WHERE id = :member)"
_TABLES = ("points_total", "study_read")  # made so by schema 10 (bot/storage/migrations/legacy.py)


_MOVES = [DriverStatement(f"UPDATE {table} SET branch_id = :branch WHERE member_id = :member") for table in _TABLES]


def _moved(_mapper: Any, connection: Connection, member: Member) -> None:
    history = inspect(member).attrs.branch_id.history
    if not history.has_changes():
        return
    for move in _MOVES:
        move.execute(connection, {"branch": member.branch_id, "member": member.id})


def follow_moves() -> None:
    """Whenever a flush changes a member's branch, their rows follow in the same transaction. Every change of
    branch goes through the Member model (roster imports, a member first seen in a branch's group), so a mapper
    event sees all of them; registered once per process (Database does it), not at import."""
    if not event.contains(Member, "after_update", _moved):
        event.listen(Member, "after_update", _moved)
