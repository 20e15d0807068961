"""The dashboard's look-up of one meeting, with the viewer's scope in the WHERE clause (bot/web/viewer.py): a
meeting of a branch outside the scope is not found, so its record is never read."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from bot.storage.models import MeetingRow

__all__ = ["meeting_in_scope"]


def meeting_in_scope(session: Session, meeting_id: int, where: tuple[str, dict[str, object]]) -> MeetingRow | None:
    """The meeting, if its branch satisfies `where` (Scope.branch_filter on "mt.branch_id"); else None."""
    condition, params = where
    found = session.execute(text(f"SELECT mt.id FROM meeting mt WHERE mt.id = :meeting AND {condition}"),
                            {"meeting": meeting_id, **params}).first()
    return session.get(MeetingRow, meeting_id) if found is not None else None
