"""Who is looking at the dashboard and what they may see. The scope is handed to every query a page runs (as a
WHERE condition, see Scope.member_filter), so a page cannot show more than the viewer's scope even if a template
or a URL asks for it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection
from sqlmodel import Session

from bot.storage.fast import DriverStatement
from bot.storage.scope import Scope

__all__ = ["Scope", "Viewer", "viewer_of", "committee_level"]

COMMITTEE_BODY_WORD = "党委"
# the few columns a viewer needs, read straight from the driver: an ORM Member cost ~1 ms a request (bench/h5.py)
_VIEWER = DriverStatement("SELECT id, name, role, branch_id FROM member WHERE id = :id")


@dataclass(frozen=True)
class _Row:
    id: int
    name: str
    role: str
    branch_id: int | None


class Named(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def role(self) -> str: ...


def committee_level(member: Named, bodies: Mapping[str, Sequence[str]]) -> bool:
    """Sees every branch: a 管理员, or a member of one of meetings.groups' bodies whose name contains 党委 (党委会,
    党委理论学习中心组 …) — the roster has no committee flag yet; issue 17 allows a `committee: true` column later,
    and this one function is where it would be read."""
    if member.role == "admin":
        return True
    return any(member.name in names for body, names in bodies.items() if COMMITTEE_BODY_WORD in body)


@dataclass(frozen=True)
class Viewer:
    member_id: int
    name: str
    role: str
    branch_id: int | None
    scope: Scope

    @property
    def role_label(self) -> str:
        if self.scope.everything:
            return "管理员" if self.role == "admin" else "党委"
        return {"secretary": "书记", "committee": "委员"}.get(self.role, "党员")


def viewer_of(session: Session | Connection, member_id: int, bodies: Mapping[str, Sequence[str]]) -> Viewer | None:
    """The viewer for a logged-in member, read afresh on every request (a role taken away applies at once);
    None when the member is gone."""
    rows = _VIEWER.rows(session.connection() if isinstance(session, Session) else session, {"id": member_id})
    if not rows:
        return None
    member = _Row(*rows[0])
    if committee_level(member, bodies):
        scope = Scope(everything=True, member_id=member.id)
    elif member.role in ("secretary", "committee") and member.branch_id is not None:
        scope = Scope(branch_ids=frozenset({member.branch_id}), member_id=member.id)
    else:
        scope = Scope(member_id=member.id)
    return Viewer(member.id, member.name, member.role, member.branch_id, scope)
