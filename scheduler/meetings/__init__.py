"""三会一课 rules: meeting types (kinds), parsing 「安排会议」 (parsing), reminders, sign-in windows and
announcements (notices), compliance (quota), who must attend (attendees), the quorum (quorum), and held or
待补记录 (records).

Pure: no database, no network, no clock reading (`now` is passed in). Frequencies follow
《中国共产党支部工作条例（试行）》(2018); 党课 once a quarter is a local rule. What differs per branch (支委会 only
with 7 正式党员, 党小组会 per 小组, 组织生活会 in Q4, the 书记's yearly 党课) is in requirements; the overdue
notice and the warning before a period ends in overdue (imported from there, not re-exported).
Times are Asia/Shanghai. Aware datetimes are returned; a
naive one passed in is read as Shanghai wall-clock time, because the rest of the app (bot/clock.py,
storage) keeps naive wall-clock times.
"""

from scheduler.meetings.attendees import (
    WHO,
    WHO_COMMITTEE,
    WHO_GROUP,
    WHO_MEMBERS,
    Person,
    expected_people,
    is_committee,
    is_party_member,
    position_role,
    who_text,
)
from scheduler.meetings.kinds import DEFAULT_TYPES, PERIODS, MeetingType, find_type, meeting_types
from scheduler.meetings.notices import (
    DEFAULT_OFFSETS,
    cancelled_text,
    changed_text,
    details_text,
    reminder_text,
    reminder_times,
    signin_state,
    signin_window,
    when_text,
)
from scheduler.meetings.parsing import USAGE, MeetingDraft, MeetingError, WorkdayCalendar, parse_meeting
from scheduler.meetings.quorum import QUORUM_TYPES, Quorum, quorum, quorum_problem
from scheduler.meetings.quota import (
    Compliance,
    attendance_rate,
    compliance,
    overdue_lines,
    period_bounds,
    period_label,
    verbs,
)
from scheduler.meetings.records import STATUS_NAMES, MeetingStatus, meeting_status, reminder_due
from scheduler.meetings.requirements import (
    SECRETARY_LECTURE,
    BranchFacts,
    HeldMeeting,
    MemberFacts,
    applies_to,
    branch_compliance,
    branch_facts,
)
from scheduler.shanghai import TZ

__all__ = [
    "TZ", "PERIODS", "MeetingType", "DEFAULT_TYPES", "meeting_types", "find_type", "MeetingError", "MeetingDraft",
    "WorkdayCalendar", "parse_meeting", "USAGE", "DEFAULT_OFFSETS", "reminder_times", "reminder_text",
    "signin_window", "signin_state", "changed_text", "cancelled_text", "when_text", "details_text",
    "period_bounds", "period_label", "Compliance", "compliance", "overdue_lines", "attendance_rate",
    "WHO", "WHO_COMMITTEE", "WHO_GROUP", "WHO_MEMBERS", "Person", "expected_people", "is_committee", "is_party_member",
    "position_role", "who_text", "QUORUM_TYPES", "Quorum", "quorum", "quorum_problem",
    "MeetingStatus", "STATUS_NAMES", "meeting_status", "reminder_due", "verbs",
    "SECRETARY_LECTURE", "BranchFacts", "HeldMeeting", "MemberFacts", "applies_to", "branch_compliance",
    "branch_facts",
]
