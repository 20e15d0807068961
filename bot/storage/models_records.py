"""The 三会一课 records an inspection reads (schema 6): who was expected at a meeting (frozen when it starts), every
change to someone's attendance (an audit trail: who changed what, when and why) and the minutes; the minutes
dialogue's draft lives apart, so an abandoned dialogue leaves nothing half-saved in the record."""

from __future__ import annotations

from pydantic import NaiveDatetime as datetime
from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = ["ATTENDANCE_STATUSES", "MEMBER_CATEGORIES", "ExpectedAttendee", "AttendanceChange", "MinutesRow",
           "MinutesDraft"]

# attendance.status: present (签到 or 补记), leave (请假), observer (列席: recorded, no points, not in the rate);
# no row means absent
ATTENDANCE_STATUSES = {"present": "出席", "leave": "请假", "observer": "列席"}
# member.category: what the roster's 党员类别 says; "" when the roster has no such column (counted as 党员)
MEMBER_CATEGORIES = {"full": "正式党员", "probationary": "预备党员", "activist": "入党积极分子", "masses": "群众"}


class ExpectedAttendee(SQLModel, table=True):
    """Who must attend a meeting, frozen when it starts (or when first asked after): a roster that grows later
    does not change a past meeting's rate."""
    __tablename__ = "meeting_expected"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    member_id: int = Field(foreign_key="member.id")


class AttendanceChange(SQLModel, table=True):
    """One change to a member's attendance at a meeting, never overwritten: old and new status ("" = absent)."""
    __tablename__ = "attendance_change"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    old_status: str = Field(default="", max_length=20)
    new_status: str = Field(default="", max_length=20)
    reason: str = Field(default="", max_length=500)
    changed_by: str = Field(default="", max_length=100)  # a member's name, 命令行, or 本人 (签到, 请假)
    changed_at: datetime


class MinutesRow(SQLModel, table=True):
    """会议记录: one per meeting, written whole when the dialogue (or `meetings minutes`) completes."""
    __tablename__ = "meeting_minutes"
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", unique=True)
    chair: str = Field(default="", max_length=100)  # 主持人
    recorder: str = Field(default="", max_length=100)  # 记录人
    agenda: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # 议程/主题
    content: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # 主要内容
    decisions: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # 决议事项
    recorded_by: str = Field(default="", max_length=100)
    recorded_at: datetime
    updated_at: datetime


class MinutesDraft(SQLModel, table=True):
    """A minutes dialogue under way in a private chat: the answers so far as JSON, the next step."""
    __tablename__ = "minutes_draft"
    __table_args__ = (UniqueConstraint("member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    meeting_id: int = Field(foreign_key="meeting.id")
    step: int = 0
    answers: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    updated_at: datetime
