"""Table models. Times are naive Asia/Shanghai wall-clock times: the bot lives in one
time zone and periods (本周, 本月) are Shanghai periods, so storing local time keeps
period queries simple on SQLite and PostgreSQL alike."""

from __future__ import annotations

from pydantic import NaiveDatetime as datetime  # stored as Shanghai wall-clock time, see module doc
from sqlalchemy import BigInteger, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot.storage.models_schedule import AttendanceRow, MeetingRow, OutboxRow, ScheduledPush, StudyRead

__all__ = [
    "SchemaVersion", "Branch", "Member", "ChangeCount", "Identity", "ChatGroup", "ContestRow", "ContestRound",
    "ContestAnswer", "PointsEntry", "PointsTotal", "ProcessedMessage", "DailyAnswer", "BankRow", "BankQuestionRow",
    "QuestionStat", "MistakeRow", "PracticeAttempt", "ROLES",
    "OutboxRow", "StudyRead", "ScheduledPush", "MeetingRow", "AttendanceRow",
]

# role value -> how members write it in a roster
ROLES = {"member": "成员", "secretary": "书记", "committee": "委员", "admin": "管理员"}


class SchemaVersion(SQLModel, table=True):
    __tablename__ = "schema_version"
    id: int = Field(default=1, primary_key=True)
    version: int


class Branch(SQLModel, table=True):
    __tablename__ = "branch"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=100)


class Member(SQLModel, table=True):
    __tablename__ = "member"
    # what roster_groups reads instead of the table (storage/meeting_bulk.py): no sort, no row look-ups, about a
    # tenth of the time over 100,000 members
    __table_args__ = (Index("ix_member_roster_facts", "branch_id", "rostered", "category", "position", "party_group",
                            "role"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, index=True)
    branch_id: int | None = Field(default=None, foreign_key="branch.id", index=True)
    role: str = Field(default="member", max_length=20)
    created_at: datetime
    # put in their branch by an imported roster (not only seen writing in a group): the members a contest
    # question waits for before it closes early
    rostered: bool = False
    # schema 6, from the roster's columns ("" when a roster has none): 党员类别 (models_records.MEMBER_CATEGORIES),
    # 支部职务 as written (书记, 副书记, 组织委员 …) and the 党小组 the member belongs to
    category: str = Field(default="", max_length=20)
    position: str = Field(default="", max_length=30)
    party_group: str = Field(default="", max_length=100)


class ChangeCount(SQLModel, table=True):
    """How many times a table's rows changed, counted by triggers in the database (revision 0002; today the member
    table's roster columns): a reader that remembers something derived from the table (bot/storage/roster_facts.py)
    reads this one row to know whether it is still true, whoever wrote, from whichever process."""
    __tablename__ = "change_count"
    name: str = Field(primary_key=True, max_length=50)
    n: int = Field(sa_column=Column(BigInteger, nullable=False, server_default="0"))


class Identity(SQLModel, table=True):
    """One person may write from WeCom, DingTalk and the local chat: each account maps here."""
    __tablename__ = "identity"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    external_id: str = Field(max_length=200)
    member_id: int = Field(foreign_key="member.id", index=True)


class ChatGroup(SQLModel, table=True):
    __tablename__ = "chat_group"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    external_id: str = Field(max_length=200)
    name: str = Field(max_length=200)
    branch_id: int | None = Field(default=None, foreign_key="branch.id")


class _ContestSteps(SQLModel):
    """What a contest and a 全委竞赛 both keep: their questions and where they stand."""
    bank: str = Field(max_length=200)
    question_keys: str  # JSON list, in the order asked
    time_limit: int
    started_by: int = Field(foreign_key="member.id")
    current_index: int = 0
    question_started_at: datetime
    status: str = Field(default="running", max_length=20, index=True)  # running | finished
    started_at: datetime
    finished_at: datetime | None = None


class ContestRow(_ContestSteps, table=True):
    __tablename__ = "contest"
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="chat_group.id", index=True)
    scored: bool = True  # False: a 练习赛 (started by an ordinary member): results shown, no 党建积分
    round_id: int | None = Field(default=None, foreign_key="contest_round.id", index=True)  # part of a 全委竞赛
    # a 全委竞赛's part writes each closed question's points after its reveal has gone out: how many questions
    # are written (None: a contest that writes them as each question closes)
    settled: int | None = None


class ContestRound(_ContestSteps, table=True):
    """A 全委竞赛: one contest in each target group, the same questions at the same moments."""
    __tablename__ = "contest_round"
    id: int | None = Field(default=None, primary_key=True)


class ContestAnswer(SQLModel, table=True):
    __tablename__ = "contest_answer"
    # time first, then what is counted: the dashboard's activity() reads a span from it (storage/dashboard.py);
    # without it each 总览 scans every answer ever written (100,000: 40-50 ms a span, bench/dashboard.py)
    __table_args__ = (UniqueConstraint("contest_id", "question_index", "member_id"),
                      Index("ix_contest_answer_at", "answered_at", "member_id", "correct"))
    id: int | None = Field(default=None, primary_key=True)
    contest_id: int = Field(foreign_key="contest.id")
    question_index: int
    question_key: str = Field(default="", max_length=32)
    member_id: int = Field(foreign_key="member.id")
    answer: str = Field(max_length=500)
    correct: bool
    points: int
    answered_at: datetime


class PointsEntry(SQLModel, table=True):
    """The append-only points ledger (党建积分). (reason, source) is unique, so a retried
    message or a replayed job can never award the same thing twice."""
    __tablename__ = "points_ledger"
    __table_args__ = (UniqueConstraint("reason", "source"), Index("ix_points_member_time", "member_id", "created_at"))
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    amount: int
    reason: str = Field(max_length=50)
    source: str = Field(max_length=200)
    created_at: datetime
    # schema 7: the 党建积分 category (scheduler.points.Category), the points a cap held back (the entry's amount
    # is what counted), and, for points by hand, the reason as the 支委 gave it
    category: str = Field(default="", max_length=10)
    withheld: int = 0
    note: str = Field(default="", max_length=200)


class PointsTotal(SQLModel, table=True):
    """Running totals per member and period key (W2026-48, M2026-11, Q2026-4, Y2026, ALL; per category
    M2026-11/quiz …, a category's day D2026-11-03/quiz, what its caps held back D…/quiz-), kept in the same
    transaction as the ledger so a ranking reads an index, not 2 million rows."""
    __tablename__ = "points_total"
    # WITHOUT ROWID on SQLite: the rows live in the primary-key b-tree, one b-tree fewer to
    # update per award (bench/answers.py); other databases ignore the option
    __table_args__ = (Index("ix_points_total_rank", "period_key", "points"),
                      Index("ix_points_total_branch", "period_key", "branch_id", "points"),
                      {"sqlite_with_rowid": False})
    member_id: int = Field(foreign_key="member.id", primary_key=True)
    period_key: str = Field(primary_key=True, max_length=24)
    points: int = 0
    # schema 10: the member's branch (bot/storage/branch_columns.py), for the branch ranking's index
    branch_id: int | None = None


class ProcessedMessage(SQLModel, table=True):
    """Platform message ids already handled: WeCom retries after 5 s, DingTalk redelivers late acks."""
    __tablename__ = "processed_message"
    __table_args__ = ({"sqlite_with_rowid": False},)  # one b-tree, not two, per message (see PointsTotal)
    channel: str = Field(primary_key=True, max_length=20)
    message_id: str = Field(primary_key=True, max_length=200)
    received_at: datetime


class DailyAnswer(SQLModel, table=True):
    __tablename__ = "daily_answer"
    __table_args__ = (UniqueConstraint("member_id", "day"),
                      Index("ix_daily_answer_at", "answered_at", "member_id", "correct"))  # see ContestAnswer
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    day: str = Field(max_length=10)  # ISO date in Asia/Shanghai
    question_key: str = Field(max_length=32)
    bank: str = Field(max_length=200)
    asked_at: datetime
    answer: str | None = Field(default=None, max_length=500)
    correct: bool | None = None
    answered_at: datetime | None = None


class BankRow(SQLModel, table=True):
    """A question bank imported with `studybot bank import` (banks in YAML files are not stored)."""
    __tablename__ = "bank"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    description: str = ""
    time_limit: int | None = None
    strictness: str | None = Field(default=None, max_length=10)
    source: str = Field(default="", max_length=500)  # the file it was imported from
    updated_at: datetime
    # live: what contests ask from; staging: an import writing its questions out of sight; retired: replaced
    # by an import, its questions being deleted (bot/storage/bank_staging.py)
    state: str = Field(default="live", max_length=10, index=True)


class BankQuestionRow(SQLModel, table=True):
    __tablename__ = "bank_question"
    __table_args__ = (UniqueConstraint("bank_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    bank_id: int = Field(foreign_key="bank.id", index=True)
    position: int
    key: str = Field(max_length=32)
    type: str = Field(max_length=10)
    text: str
    options: str = "[]"  # JSON list
    answer: str
    blanks: str = "[]"  # JSON list of lists
    explanation: str = ""
    time_limit: int | None = None
    strictness: str | None = Field(default=None, max_length=10)
    points: float | None = None
    difficulty: str = Field(default="", max_length=50)
    topic: str = Field(default="", max_length=200)
    # 出处; a database default too, as the upgrade gives it, so that a writer naming only the older columns still works
    source: str = Field(default="", sa_column_kwargs={"server_default": ""})


class QuestionStat(SQLModel, table=True):
    """How often a question was asked and answered right, for `studybot bank stats`."""
    __tablename__ = "question_stat"
    __table_args__ = ({"sqlite_with_rowid": False},)
    bank: str = Field(primary_key=True, max_length=200)
    question_key: str = Field(primary_key=True, max_length=32)
    asked: int = 0
    answered: int = 0
    correct: int = 0


class MistakeRow(SQLModel, table=True):
    """A wrong answer, for 错题本: written when a contest question closes (in one batch) or when a
    每日一题 is answered, so the per-answer path carries no extra index."""
    __tablename__ = "mistake"
    __table_args__ = (Index("ix_mistake_member_time", "member_id", "at"),)
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id")
    bank: str = Field(max_length=200)
    question_key: str = Field(max_length=32)
    answer: str = Field(default="", max_length=500)
    at: datetime


class PracticeAttempt(SQLModel, table=True):
    """错题练习: a question from the member's 错题本 asked again privately."""
    __tablename__ = "practice_attempt"
    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="member.id", index=True)
    bank: str = Field(max_length=200)
    question_key: str = Field(max_length=32)
    asked_at: datetime
    answer: str | None = Field(default=None, max_length=500)
    correct: bool | None = None
    answered_at: datetime | None = None
