"""Points by hand (schema 7): a 支委's 加分 or 扣分 waits here, with who asked and why, until a second 支委 agrees
(points.approval); only then does it reach the append-only ledger, as an entry whose source names the request.
A request's status changes (pending → approved, rejected or withdrawn; approved → reversed); the ledger's entries
never do. Each step is a PointsRequestChange row: who, when and why (a new table: create_all makes it at start-up)."""

from __future__ import annotations

from pydantic import NaiveDatetime as datetime
from sqlmodel import Field, SQLModel

__all__ = ["PointsRequest", "PointsRequestChange", "REQUEST_STATUSES"]

REQUEST_STATUSES = {"pending": "待同意", "approved": "已生效", "rejected": "未同意", "withdrawn": "已撤回",
                    "reversed": "已撤销"}


class PointsRequest(SQLModel, table=True):
    __tablename__ = "points_request"
    id: int | None = Field(default=None, primary_key=True)  # the 编号 people type: 同意 12
    member_id: int = Field(foreign_key="member.id", index=True)
    branch_id: int | None = Field(default=None, foreign_key="branch.id", index=True)
    amount: int  # negative for 扣分
    category: str = Field(max_length=10)
    reason: str = Field(max_length=200)  # 事由, as the 支委 wrote it
    requested_by: int = Field(foreign_key="member.id")
    requested_at: datetime
    status: str = Field(default="pending", max_length=10, index=True)
    decided_by: int | None = Field(default=None, foreign_key="member.id")
    decided_at: datetime | None = None


class PointsRequestChange(SQLModel, table=True):
    """The audit trail of points by hand: a request made, agreed, rejected, withdrawn or reversed, by whom (a
    member: in chat the sender, on the command line the 支委 named by --by), when and why (理由, 撤销事由)."""
    __tablename__ = "points_request_change"
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="points_request.id", index=True)
    action: str = Field(max_length=10)  # requested, approved, rejected, withdrawn, reversed
    by_id: int = Field(foreign_key="member.id")
    note: str = Field(default="", max_length=200)
    at: datetime
