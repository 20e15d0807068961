"""成员名册 on the dashboard: the members in scope (the viewer's scope as a WHERE condition on the member, see
bot/web/viewer.py Scope.member_filter) with their branch, role, Party columns and platform accounts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlmodel import Session

__all__ = ["RosterLine", "roster", "roster_size"]


@dataclass(frozen=True)
class RosterLine:
    name: str
    branch: str
    role: str
    category: str
    position: str
    party_group: str
    accounts: dict[str, str] = field(default_factory=dict)  # channel -> account (the first, if several)


def roster(session: Session, where: tuple[str, dict[str, object]], channels: Iterable[str], *, offset: int = 0,
           limit: int | None = None) -> list[RosterLine]:
    """The members in scope who belong to a branch (a roster row needs one), by branch and then as imported: all of
    them (a download), or one page (LIMIT/OFFSET: the page reads only its rows and their accounts)."""
    condition, params = where
    page = f" LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
    rows = session.execute(text(f"""
        SELECT m.id, m.name, b.name, m.role, m.category, m.position, m.party_group
        FROM member m JOIN branch b ON b.id = m.branch_id WHERE {condition} ORDER BY b.name, m.id{page}"""),
                           params).all()
    accounts = _accounts(session, where, channels, [int(r[0]) for r in rows] if limit is not None else None)
    return [RosterLine(name, branch, role, category or "", position or "", party_group or "",
                       accounts.get(int(member_id), {}))
            for member_id, name, branch, role, category, position, party_group in rows]


def roster_size(session: Session, where: tuple[str, dict[str, object]]) -> int:
    """How many members `roster` lists in all."""
    condition, params = where
    return int(session.execute(text(f"SELECT COUNT(*) FROM member m JOIN branch b ON b.id = m.branch_id "
                                    f"WHERE {condition}"), params).scalar_one())


def _accounts(session: Session, where: tuple[str, dict[str, object]], channels: Iterable[str],
              member_ids: list[int] | None) -> dict[int, dict[str, str]]:
    """member id -> channel -> account (the first, if several), of these members (None: of all in scope)."""
    condition, params = where
    names = {f"ch{i}": channel for i, channel in enumerate(channels)}
    if not names or member_ids == []:
        return {}
    ids = {f"id{i}": member for i, member in enumerate(member_ids or ())}
    only = f" AND i.member_id IN ({', '.join(':' + n for n in ids)})" if member_ids is not None else ""
    accounts: dict[int, dict[str, str]] = {}
    for member_id, channel, account in session.execute(text(f"""
            SELECT i.member_id, i.channel, i.external_id FROM identity i JOIN member m ON m.id = i.member_id
            WHERE i.channel IN ({", ".join(":" + n for n in names)}) AND {condition}{only}
            ORDER BY i.id"""), {**names, **params, **ids}):
        accounts.setdefault(int(member_id), {}).setdefault(channel, account)
    return accounts
