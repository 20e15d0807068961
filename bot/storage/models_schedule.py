"""Tables for study pushes, the outbox and 三会一课. Times are naive Asia/Shanghai wall-clock times,
as everywhere in bot/storage (see models.py)."""

from __future__ import annotations

from pydantic import NaiveDatetime as datetime
from sqlalchemy import Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

__all__ = ["OutboxRow", "StudyRead", "ScheduledPush", "MeetingRow", "AttendanceRow"]


class OutboxRow(SQLModel, table=True):
    """A push to one chat, written before it is sent: the worker sends pending rows respecting
    each target's rate limit and marks them sent, so a crash loses nothing and, once marked, sends
    nothing twice. `key` names the occurrence (plan entry + time + chat): a job that runs again
    for the same occurrence writes nothing new."""
    __tablename__ = "outbox"
    # ix_outbox_study: 学习's pushes per item and the (item, branch) pairs they reached, from the index alone
    # (bot/storage/dashboard_study.py), not from every row of a year's outbox
    __table_args__ = (UniqueConstraint("key"), Index("ix_outbox_status_due", "status", "due_at"),
                      Index("ix_outbox_study", "kind", "item_id", "status", "is_group", "branch_id", "sent_at"))
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=400)
    kind: str = Field(max_length=20)  # study, reminder, notice, meeting, contest
    channel: str = Field(max_length=20)
    chat_id: str = Field(max_length=200)
    chat_name: str = Field(default="", max_length=200)
    is_group: bool = True
    text: str = Field(sa_column=Column(Text, nullable=False))
    markdown: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    item_id: str | None = Field(default=None, max_length=200)  # the study item pushed, for 学习/已学
    branch_id: int | None = Field(default=None, index=True)
    due_at: datetime
    created_at: datetime
    # pending, sent, failed, or unsure: no answer to two attempts that may have reached the chat, so it
    # is most likely there (perhaps twice) and is not sent a third time
    status: str = Field(default="pending", max_length=10)
    attempts: int = 0  # every request the platform may have seen
    unconfirmed: int = 0  # of those, the ones that went unanswered after they were sent (a timeout)
    sent_at: datetime | None = None
    last_error: str = Field(default="", max_length=300)
    # several instances (PostgreSQL): the instance sending it and until when it may (the database's time); a
    # row whose sender died is taken again after that. Unused on SQLite, where one process sends
    claimed_by: str | None = Field(default=None, max_length=200)
    lease_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
    # when an attempt was handed to its channel (its request may leave at any moment), stored before it is; cleared
    # when the attempt is recorded. A pending row still carrying it once its sender is gone (a crash, a kill) was
    # interrupted mid-send: it may be in the chat already, so it is not sent again but ends unsure
    handed_at: datetime | None = None
    # the page the push is about (a contest's live page, the members' pages): a channel that can carry a link with
    # a message (the Official Account's template message) makes the message open it
    link: str | None = Field(default=None, max_length=500)


class StudyRead(SQLModel, table=True):
    """已学: a member marked a study item read (points once per member and item)."""
    __tablename__ = "study_read"
    __table_args__ = (UniqueConstraint("member_id", "item_id"), Index("ix_study_read_branch", "branch_id", "item_id"),
                      Index("ix_study_read_at", "read_at", "member_id"))  # the dashboard's activity() reads spans
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    item_id: str = Field(max_length=200)
    read_at: datetime
    # schema 10: the member's branch (bot/storage/branch_columns.py), for 学习's reads per branch
    branch_id: int | None = None


class ScheduledPush(SQLModel, table=True):
    """A push a secretary arranged (安排推送 / studybot push add), one-off or repeating."""
    __tablename__ = "scheduled_push"
    id: int | None = Field(default=None, primary_key=True)
    branch_id: int | None = Field(default=None, foreign_key="branch.id", index=True)
    target: str = Field(default="", max_length=200)  # a group name; "" = every group of the branch
    item_id: str = Field(max_length=200)
    when_text: str = Field(max_length=100)
    created_by: str = Field(default="", max_length=100)
    created_at: datetime
    cancelled_at: datetime | None = None


class MeetingRow(SQLModel, table=True):
    """A 三会一课 meeting or 主题党日 of a branch."""
    __tablename__ = "meeting"
    __table_args__ = (Index("ix_meeting_branch_start", "branch_id", "start_at"),)
    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    type_key: str = Field(max_length=30)
    start_at: datetime
    place: str = Field(default="", max_length=200)
    topic: str = Field(default="", max_length=500)
    created_by: str = Field(default="", max_length=100)
    created_at: datetime
    cancelled_at: datetime | None = None
    source: str = Field(default="chat", max_length=200)  # chat, cli, or the YAML file and key it came from
    party_group: str = Field(default="", max_length=100)  # schema 6: a 党小组会's 小组 ("" for the whole branch)


class AttendanceRow(SQLModel, table=True):
    """签到: once per member and meeting."""
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    member_id: int = Field(foreign_key="member.id")
    signed_at: datetime
    # schema 6: present (签到 or 补记), leave (请假), observer (列席); its history is in attendance_change
    status: str = Field(default="present", max_length=20)
    reason: str = Field(default="", max_length=500)
    recorded_by: str = Field(default="", max_length=100)  # "" when the member signed in themselves
