"""成员名册 on the dashboard: the members in scope (the viewer's scope as a WHERE condition on the member, see
bot/web/viewer.py Scope.member_filter) with their branch, role, Party columns and platform accounts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlmodel import Session

__all__ = ["RosterLine", "roster"]


@dataclass(frozen=True)
class RosterLine:
    name: str
    branch: str
    role: str
    category: str
    position: str
    party_group: str
    accounts: dict[str, str] = field(default_factory=dict)  # channel -> account (the first, if several)


def roster(session: Session, where: tuple[str, dict[str, object]], channels: Iterable[str]) -> list[RosterLine]:
    """The members in scope who belong to a branch (a roster row needs one), by branch and then as imported."""
    condition, params = where
    accounts: dict[int, dict[str, str]] = {}
    names = {f"ch{i}": channel for i, channel in enumerate(channels)}
    if names:
        for member_id, channel, account in session.execute(text(f"""
                SELECT i.member_id, i.channel, i.external_id FROM identity i JOIN member m ON m.id = i.member_id
                WHERE i.channel IN ({", ".join(":" + n for n in names)}) AND {condition}
                ORDER BY i.id"""), {**names, **params}):
            accounts.setdefault(int(member_id), {}).setdefault(channel, account)
    rows = session.execute(text(f"""
        SELECT m.id, m.name, b.name, m.role, m.category, m.position, m.party_group
        FROM member m JOIN branch b ON b.id = m.branch_id WHERE {condition} ORDER BY b.name, m.id"""), params)
    return [RosterLine(name, branch, role, category or "", position or "", party_group or "",
                       accounts.get(int(member_id), {}))
            for member_id, name, branch, role, category, position, party_group in rows]
