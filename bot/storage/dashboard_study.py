"""学习 on the dashboard: who each study item reached and who read it (已学), with the viewer's scope as a WHERE
condition on the member (bot/web/viewer.py).

「推送到」 is a member reached by a study push that went out (outbox status sent, or unsure: most likely there): for
a push to a group, every member of the group's branch (the bot keeps no list of a group's members; outbox.branch_id
is the group's branch when the push was written); for a private push, the member whose account it went to. A member
counts once per item however many pushes reached them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

__all__ = ["ItemFigures", "BranchFigures", "study_items", "study_branches"]

_SENT = "o.kind = 'study' AND o.status IN ('sent', 'unsure') AND o.item_id IS NOT NULL"
_REACHED = f"""reached AS (
    SELECT o.item_id AS item_id, m.id AS member_id FROM outbox o JOIN member m ON m.branch_id = o.branch_id
    WHERE {_SENT} AND o.is_group = :yes
    UNION
    SELECT o.item_id AS item_id, i.member_id AS member_id FROM outbox o
    JOIN identity i ON i.channel = o.channel AND i.external_id = o.chat_id
    WHERE {_SENT} AND o.is_group = :no)"""


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


def study_items(session: Session, members: tuple[str, dict[str, object]], branches: tuple[str, dict[str, object]]
                ) -> list[ItemFigures]:
    """Every item pushed or read in scope. `members` is Scope.member_filter() ("m"), `branches` is
    Scope.branch_filter("o.branch_id") for the pushes themselves."""
    member_where, params = members
    branch_where, branch_params = branches
    flags = {"yes": True, "no": False}
    pushes = {row[0]: (int(row[1]), _datetime(row[2])) for row in session.execute(text(f"""
        SELECT o.item_id, COUNT(*), MAX(o.sent_at) FROM outbox o WHERE {_SENT} AND {branch_where}
        GROUP BY o.item_id"""), branch_params)}
    reached = {row[0]: (int(row[1]), int(row[2])) for row in session.execute(text(f"""
        WITH {_REACHED}
        SELECT r.item_id, COUNT(*), COALESCE(SUM(CASE WHEN s.id IS NULL THEN 0 ELSE 1 END), 0)
        FROM reached r JOIN member m ON m.id = r.member_id
        LEFT JOIN study_read s ON s.member_id = r.member_id AND s.item_id = r.item_id
        WHERE {member_where} GROUP BY r.item_id"""), {**flags, **params})}
    read = {row[0]: int(row[1]) for row in session.execute(text(f"""
        SELECT s.item_id, COUNT(*) FROM study_read s JOIN member m ON m.id = s.member_id
        WHERE {member_where} GROUP BY s.item_id"""), params)}
    items = sorted(set(pushes) | set(reached) | set(read))
    return [ItemFigures(item, *pushes.get(item, (0, None)), *reached.get(item, (0, 0)), read.get(item, 0))
            for item in items]


def study_branches(session: Session, members: tuple[str, dict[str, object]], item_id: str | None
                   ) -> list[BranchFigures]:
    """Per branch in scope: members reached, of them read, and all reads — of one item, or of every item."""
    member_where, params = members
    one = {"item": item_id} if item_id is not None else {}
    only_r = " AND r.item_id = :item" if one else ""
    only_s = " AND s.item_id = :item" if one else ""
    reached = {row[0]: (int(row[1]), int(row[2])) for row in session.execute(text(f"""
        WITH {_REACHED}
        SELECT m.branch_id, COUNT(*), COALESCE(SUM(CASE WHEN s.id IS NULL THEN 0 ELSE 1 END), 0)
        FROM reached r JOIN member m ON m.id = r.member_id
        LEFT JOIN study_read s ON s.member_id = r.member_id AND s.item_id = r.item_id
        WHERE {member_where}{only_r} GROUP BY m.branch_id"""), {"yes": True, "no": False, **params, **one})}
    rows = session.execute(text(f"""
        SELECT b.id, b.name, COUNT(s.id) FROM branch b JOIN member m ON m.branch_id = b.id
        LEFT JOIN study_read s ON s.member_id = m.id{only_s}
        WHERE {member_where} GROUP BY b.id, b.name ORDER BY b.id"""), {**params, **one}).all()
    return [BranchFigures(int(bid), name, *reached.get(bid, (0, 0)), int(count)) for bid, name, count in rows]
