"""学习 on the dashboard: who each study item reached and who read it (已学), with the viewer's scope as a WHERE
condition on the member (bot/web/viewer.py).

「推送到」 is a member reached by a study push that went out (outbox status sent, or unsure: most likely there): for
a push to a group, every member of the group's branch (the bot keeps no list of a group's members; outbox.branch_id
is the group's branch when the push was written); for a private push, the member whose account it went to. A member
counts once per item however many pushes reached them.

At full size a push to every group reaches 100,000 members, so nobody is listed one by one: the figures come from
the members in scope per branch, the (item, branch) pairs of group pushes, the reads per (branch, item) and the
private pushes per (branch, item), read once (StudyFacts) and added up per item or per branch in Python."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from bot.storage.roster_cache import RosterCache
from bot.storage.scope import Scope

__all__ = ["ItemFigures", "BranchFigures", "StudyFacts", "study_facts", "branch_sizes"]

_SENT = "o.kind = 'study' AND o.status IN ('sent', 'unsure') AND o.item_id IS NOT NULL"
Key = tuple[int | None, str]  # (the member's branch, item)


@dataclass(frozen=True)
class ItemFigures:
    item_id: str
    pushes: int  # study pushes of the item sent to chats in scope
    last_pushed: datetime | None
    reached: int  # members in scope the pushes reached
    read_of_reached: int  # of those, who marked it 已学
    read: int  # everyone in scope who marked it 已学, pushed or not (学习 in chat)

    @property
    def rate(self) -> float | None:
        return self.read_of_reached / self.reached if self.reached else None


@dataclass(frozen=True)
class BranchFigures:
    branch_id: int
    branch: str
    reached: int
    read_of_reached: int
    read: int

    @property
    def rate(self) -> float | None:
        return self.read_of_reached / self.reached if self.reached else None


def _datetime(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))  # SQLite returns MAX() of a timestamp as text


@dataclass(frozen=True)
class StudyFacts:
    """What the 学习 figures are added up from, all in the viewer's scope."""
    pushes: dict[str, tuple[int, datetime | None]]  # item -> pushes sent to chats in scope, the latest
    sizes: dict[int | None, int]  # branch -> its members in scope
    names: dict[int, str]  # branch -> name
    pushed: frozenset[tuple[str, int]]  # (item, branch) a group push of the item reached
    reads: dict[Key, int]  # 已学 marks
    private: dict[Key, tuple[int, int]]  # members a private push of the item reached, of them read

    def _parts(self, item_id: str | None) -> dict[Key, list[int]]:
        """Per (branch, item): reached, read of reached, read."""
        parts: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0])
        for item, branch in self.pushed:
            if item_id in (None, item) and branch in self.sizes:
                part = parts[(branch, item)]
                part[0] += self.sizes[branch]
                part[1] += self.reads.get((branch, item), 0)
        for (branch, item), (reached, read) in self.private.items():
            if item_id in (None, item) and (item, branch) not in self.pushed:  # else the group push counted them
                part = parts[(branch, item)]
                part[0] += reached
                part[1] += read
        for (branch, item), read in self.reads.items():
            if item_id in (None, item):
                parts[(branch, item)][2] += read
        return parts

    def items(self) -> list[ItemFigures]:
        """Every item pushed or read in scope."""
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for (_, item), part in self._parts(None).items():
            total = totals[item]
            for at in range(3):
                total[at] += part[at]
        return [ItemFigures(item, *self.pushes.get(item, (0, None)), *totals.get(item, (0, 0, 0)))
                for item in sorted(set(self.pushes) | set(totals))]

    def branches(self, item_id: str | None) -> list[BranchFigures]:
        """Per branch with members in scope: members reached, of them read, and all reads — of one item or all."""
        totals: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0])
        for (branch, _), part in self._parts(item_id).items():
            total = totals[branch]
            for at in range(3):
                total[at] += part[at]
        return [BranchFigures(b, self.names[b], *totals.get(b, (0, 0, 0)))
                for b in sorted(b for b in self.sizes if b is not None and b in self.names)]


def branch_sizes(session: Session, scope: Scope) -> dict[int | None, int]:
    """The members in scope per branch."""
    member_where, params = scope.member_filter()
    return {row[0]: int(row[1]) for row in session.execute(text(f"""
        SELECT m.branch_id, COUNT(*) FROM member m WHERE {member_where} GROUP BY m.branch_id"""), params)}


def study_facts(session: Session, scope: Scope, everyone: RosterCache[dict[int | None, int]] | None = None
                ) -> StudyFacts:
    """Everything in the viewer's scope: members by their branch, pushes by the branch they were written for, reads
    by the branch they carry (study_read.branch_id, the member's: one index, no member looked up per read).
    `everyone` remembers the branch sizes of a viewer who sees everything until the roster changes (a count over
    100,000 members: a sixth of the page's time, bench/dashboard.py)."""
    member_where, params = scope.member_filter()
    branch_where, branch_params = scope.branch_filter("o.branch_id")
    reads_filter = scope.member_filter("s.member_id", "s.branch_id")
    pushes = {row[0]: (int(row[1]), _datetime(row[2])) for row in session.execute(text(f"""
        SELECT o.item_id, COUNT(*), MAX(o.sent_at) FROM outbox o WHERE {_SENT} AND {branch_where}
        GROUP BY o.item_id"""), branch_params)}
    sizes = everyone(session) if everyone is not None and scope.everything else branch_sizes(session, scope)
    names = {int(row[0]): str(row[1]) for row in session.execute(text("SELECT b.id, b.name FROM branch b"))}
    pushed = frozenset((str(row[0]), int(row[1])) for row in session.execute(text(f"""
        SELECT DISTINCT o.item_id, o.branch_id FROM outbox o
        WHERE {_SENT} AND o.is_group = :yes AND o.branch_id IS NOT NULL"""), {"yes": True}))
    read_where, read_params = reads_filter
    reads = {(row[0], str(row[1])): int(row[2]) for row in session.execute(text(f"""
        SELECT s.branch_id, s.item_id, COUNT(*) FROM study_read s
        WHERE {read_where} GROUP BY s.branch_id, s.item_id"""), read_params)}
    private = {(row[0], str(row[1])): (int(row[2]), int(row[3])) for row in session.execute(text(f"""
        WITH private AS (SELECT DISTINCT o.item_id AS item_id, i.member_id AS member_id FROM outbox o
            JOIN identity i ON i.channel = o.channel AND i.external_id = o.chat_id WHERE {_SENT} AND o.is_group = :no)
        SELECT m.branch_id, p.item_id, COUNT(*), COALESCE(SUM(CASE WHEN s.id IS NULL THEN 0 ELSE 1 END), 0)
        FROM private p JOIN member m ON m.id = p.member_id
        LEFT JOIN study_read s ON s.member_id = p.member_id AND s.item_id = p.item_id
        WHERE {member_where} GROUP BY m.branch_id, p.item_id"""), {"no": False, **params})}
    return StudyFacts(pushes, sizes, names, pushed, reads, private)
