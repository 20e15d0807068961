"""Points by hand in storage: the requests a 支委 makes (points_request), their audit trail (points_request_change)
and their entries in the append-only ledger. A request's status moves only by a conditional UPDATE (`WHERE status =
the expected one`), so a 同意 sent twice, or by two 支委 at once, books the points once; the ledger's unique
(reason, source) is the second lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot.storage.models import Branch, Member, PointsEntry
from bot.storage.models_points import PointsRequest, PointsRequestChange
from bot.storage.points import Award, award_points, points_held, reverse_points
from scheduler.points import Cap, Category

__all__ = ["MANUAL_REASON", "RequestRow", "add_request", "move_request", "log_request", "book_request",
           "undo_request", "request_rows", "ledger_source"]

MANUAL_REASON = "manual"  # the ledger's reason of points by hand; the source names the request


def ledger_source(request_id: int) -> str:
    return f"request:{request_id}"


@dataclass(frozen=True)
class RequestRow:
    """A request with the names a listing shows."""
    request: PointsRequest
    member: str
    branch: str
    requested_by: str
    decided_by: str


def add_request(*, session: Session, member_id: int, branch_id: int | None, amount: int, category: Category,
                reason: str, by_id: int, now: datetime, status: str = "pending") -> PointsRequest:
    """A new request (its id is the 编号), with its first audit row; in the caller's transaction."""
    row = PointsRequest(member_id=member_id, branch_id=branch_id, amount=amount, category=category.value,
                        reason=reason, requested_by=by_id, requested_at=now, status=status)
    session.add(row)
    session.flush()
    assert row.id is not None
    log_request(session=session, request_id=row.id, action="requested", by_id=by_id, note=reason, now=now)
    return row


def move_request(*, session: Session, request_id: int, old: str, new: str, by_id: int | None,
                 now: datetime | None) -> bool:
    """Set the status from `old` to `new` (and who decided, unless None) only if it is still `old`: False when
    another message got there first, and then nothing changed."""
    values: dict[str, object] = {"status": new}
    if by_id is not None:
        values |= {"decided_by": by_id, "decided_at": now}
    result = session.exec(update(PointsRequest).where(  # type: ignore[call-overload]
        col(PointsRequest.id) == request_id, col(PointsRequest.status) == old).values(**values))
    moved = bool(result.rowcount == 1)
    if moved:
        row = session.get(PointsRequest, request_id)
        if row is not None:
            session.refresh(row)
    return moved


def log_request(*, session: Session, request_id: int, action: str, by_id: int, note: str, now: datetime) -> None:
    session.add(PointsRequestChange(request_id=request_id, action=action, by_id=by_id, note=note[:200], at=now))
    session.flush()


def book_request(*, session: Session, request: PointsRequest, cap: Cap | None, now: datetime) -> Award:
    """The request's points into the ledger (once: its source is unique), the 事由 as the entry's note."""
    assert request.id is not None
    return award_points(session=session, member_id=request.member_id, amount=request.amount, reason=MANUAL_REASON,
                        source=ledger_source(request.id), now=now, category=Category(request.category),
                        cap=cap if request.amount > 0 else None, note=request.reason)


def undo_request(*, session: Session, request: PointsRequest, note: str) -> int:
    """A new entry that cancels what the ledger holds for the request (the old entries stay as they are), dated as
    the entry it cancels so the same periods count both. The points taken back (negative: given back, a 扣分
    undone); 0 when nothing counted (a cap held it all back), and then nothing is written."""
    assert request.id is not None
    source = ledger_source(request.id)
    undo = f"{source}:undo"
    held, _ = points_held(session=session, reason=MANUAL_REASON, source=source)
    if held > 0:
        return reverse_points(session=session, member_id=request.member_id, reason=MANUAL_REASON, source=source,
                              undo_source=undo, note=note)
    if held < 0:
        taken = session.exec(select(PointsEntry).where(PointsEntry.reason == MANUAL_REASON,
                                                       PointsEntry.source == source)).one()
        award_points(session=session, member_id=request.member_id, amount=-held, reason=MANUAL_REASON,
                     source=undo, now=taken.created_at, category=Category(request.category), note=note)
    return held


def request_rows(*, session: Session, branch_id: int | None = None, status: str | None = None,
                 limit: int = 200) -> list[RequestRow]:
    """Requests, newest first: of one branch (None: every branch), of one status (None: any)."""
    member, asker, decider = aliased(Member), aliased(Member), aliased(Member)
    query = (select(PointsRequest, member.name, Branch.name, asker.name, decider.name)
             .join(member, col(member.id) == PointsRequest.member_id)
             .join(asker, col(asker.id) == PointsRequest.requested_by)
             .join(decider, col(decider.id) == PointsRequest.decided_by, isouter=True)
             .join(Branch, col(Branch.id) == PointsRequest.branch_id, isouter=True))
    if branch_id is not None:
        query = query.where(PointsRequest.branch_id == branch_id)
    if status is not None:
        query = query.where(PointsRequest.status == status)
    rows = session.exec(query.order_by(col(PointsRequest.id).desc()).limit(limit))
    return [RequestRow(request, name or "", branch or "", by or "", decided or "")
            for request, name, branch, by, decided in rows]
