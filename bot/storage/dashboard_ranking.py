"""排行 on the dashboard: the member ranking of bot/storage/ranking.py with the viewer's scope, a name search and
paging in the query. Ranks are competition ranks (1, 1, 3) over the members in scope, before the search narrows
them, so a name found keeps its place; over everyone they are `studybot rank`'s."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from bot.storage.ranking import MemberRank

__all__ = ["ranked_members", "like_pattern"]


def like_pattern(search: str) -> str:
    """A LIKE pattern finding `search` anywhere, its own % and _ taken literally."""
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def ranked_members(session: Session, *, period_key: str, where: tuple[str, dict[str, object]], search: str = "",
                   offset: int = 0, limit: int | None = 20) -> tuple[list[MemberRank], int]:
    """One page of members with points in the period, and how many there are in all (after the search)."""
    condition, params = where
    ranked = f"""
        WITH ranked AS (
            SELECT t.member_id, m.name, COALESCE(b.name, '') AS branch, t.points,
                   RANK() OVER (ORDER BY t.points DESC) AS position
            FROM points_total t JOIN member m ON m.id = t.member_id LEFT JOIN branch b ON b.id = m.branch_id
            WHERE t.period_key = :key AND t.points > 0 AND {condition})"""
    found = "WHERE name LIKE :pattern ESCAPE '\\'" if search else ""
    values = {"key": period_key, "pattern": like_pattern(search), **params}
    total = session.execute(text(f"{ranked} SELECT COUNT(*) FROM ranked {found}"), values).scalar_one()
    page = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
    rows = session.execute(text(f"""{ranked}
        SELECT position, member_id, name, branch, points FROM ranked {found}
        ORDER BY points DESC, member_id{page}"""), values).all()
    return [MemberRank(int(r[0]), int(r[1]), r[2], r[3], int(r[4])) for r in rows], int(total)
