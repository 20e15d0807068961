"""What part of the organisation a dashboard viewer may see, as SQL: every query a page runs takes its WHERE
condition from here (Scope.member_filter / branch_filter), so no page can show more than its viewer's scope even if
a template or a URL asks for it. Kept in storage (not bot/web) because the queries that apply it live here."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Scope"]


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
