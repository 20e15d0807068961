"""Who is looking at the dashboard and what they may see. The scope is handed to every query a page runs (as a
WHERE condition, see Scope.member_filter), so a page cannot show more than the viewer's scope even if a template
or a URL asks for it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from bot.storage.models import Member

__all__ = ["Scope", "Viewer", "viewer_of", "committee_level"]

COMMITTEE_BODY_WORD = "党委"


def committee_level(member: Member, bodies: Mapping[str, Sequence[str]]) -> bool:
    """Sees every branch: a 管理员, or a member of one of meetings.groups' bodies whose name contains 党委 (党委会,
    党委理论学习中心组 …) — the roster has no committee flag yet; issue 17 allows a `committee: true` column later,
    and this one function is where it would be read."""
    if member.role == "admin":
        return True
    return any(member.name in names for body, names in bodies.items() if COMMITTEE_BODY_WORD in body)


@dataclass(frozen=True)
class Scope:
    """everything, or some branches, or one member (own page only)."""
    everything: bool = False
    branch_ids: frozenset[int] = frozenset()
    member_id: int | None = None

    def sees_branch(self, branch_id: int | None) -> bool:
        return self.everything or (branch_id is not None and branch_id in self.branch_ids)

    def sees_member(self, member_id: int, branch_id: int | None) -> bool:
        return self.sees_branch(branch_id) or member_id == self.member_id

    @property
    def sees_branches(self) -> bool:
        """Whether branch-level figures (rankings of branches, a branch's page) are the viewer's business."""
        return self.everything or bool(self.branch_ids)

    def member_filter(self, member: str = "m.id", branch: str = "m.branch_id") -> tuple[str, dict[str, object]]:
        """An SQL condition on a query's member and branch columns, and its parameters."""
        if self.everything:
            return "1 = 1", {}
        if self.branch_ids:
            names = {f"scope_b{i}": b for i, b in enumerate(sorted(self.branch_ids))}
            return f"{branch} IN ({', '.join(':' + n for n in names)})", dict(names)
        return f"{member} = :scope_member", {"scope_member": self.member_id if self.member_id is not None else -1}

    def branch_filter(self, branch: str = "b.id") -> tuple[str, dict[str, object]]:
        """An SQL condition on a query's branch column; no branch at all for a viewer who sees only themself."""
        if self.everything:
            return "1 = 1", {}
        names = {f"scope_b{i}": b for i, b in enumerate(sorted(self.branch_ids))}
        if not names:
            return "1 = 0", {}
        return f"{branch} IN ({', '.join(':' + n for n in names)})", dict(names)


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


def viewer_of(session: Session, member_id: int, bodies: Mapping[str, Sequence[str]]) -> Viewer | None:
    """The viewer for a logged-in member, read afresh on every request (a role taken away applies at once);
    None when the member is gone."""
    member = session.get(Member, member_id)
    if member is None or member.id is None:
        return None
    if committee_level(member, bodies):
        scope = Scope(everything=True, member_id=member.id)
    elif member.role in ("secretary", "committee") and member.branch_id is not None:
        scope = Scope(branch_ids=frozenset({member.branch_id}), member_id=member.id)
    else:
        scope = Scope(member_id=member.id)
    return Viewer(member.id, member.name, member.role, member.branch_id, scope)
