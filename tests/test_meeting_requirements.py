"""What each branch must hold, by its own facts (scheduler/meetings/requirements.py), and the overdue notice and
warning texts (scheduler/meetings/overdue.py): pure rules, no database, no fakes."""

from datetime import date

from scheduler.meetings import (
    DEFAULT_TYPES,
    BranchFacts,
    HeldMeeting,
    MemberFacts,
    branch_compliance,
    branch_facts,
    meeting_types,
)
from scheduler.meetings.overdue import (
    closing_periods,
    ended_day,
    ended_lines,
    ended_periods,
    ended_text,
    warning_due,
    warning_lines,
    warning_text,
)

SMALL = BranchFacts(full_members=6, secretaries=("张三",))
LARGE = BranchFacts(full_members=9, party_groups=("第一小组", "第二小组", "第三小组"), secretaries=("张三",))


def by_key(checks):
    return {c.type.key: c for c in checks}


def held(key: str, *meetings: HeldMeeting) -> dict[str, list[HeldMeeting]]:
    return {key: list(meetings)}


# ---- the facts from the roster

def test_facts_count_full_members_with_an_empty_category_and_find_groups_and_the_secretary():
    facts = branch_facts([
        MemberFacts("张三", "full", "书记", "第一小组"), MemberFacts("李四", "", "", "第二小组"),
        MemberFacts("王五", "probationary", "", "第一小组"), MemberFacts("赵六", "activist"),
        MemberFacts("孙七", "masses"), MemberFacts("周八", "full", role="secretary")])
    assert facts.full_members == 3  # 张三, 李四 (an old roster: no 党员类别), 周八
    assert facts.party_groups == ("第一小组", "第二小组")
    assert facts.secretaries == ("张三", "周八")
    assert not facts.has_committee


# ---- 支部委员会会议

def test_a_branch_under_seven_full_members_has_no_committee_requirement():
    small = by_key(branch_compliance(DEFAULT_TYPES, {}, date(2026, 11, 20), SMALL))["committee"]
    assert (small.required, small.behind) == (0, False)
    seven = by_key(branch_compliance(DEFAULT_TYPES, {}, date(2026, 11, 20), BranchFacts(full_members=7)))
    assert (seven["committee"].required, seven["committee"].behind) == (1, True)


# ---- 党小组会

def test_no_party_group_means_no_group_meeting_required():
    check = by_key(branch_compliance(DEFAULT_TYPES, {}, date(2026, 11, 20), SMALL))["group"]
    assert (check.required, check.behind) == (0, False)


def test_three_groups_hold_three_a_month_each_counted_by_its_group():
    nov = date(2026, 11, 20)
    both_first = held("group", HeldMeeting(date(2026, 11, 3), "第一小组"), HeldMeeting(date(2026, 11, 9), "第一小组"))
    check = by_key(branch_compliance(DEFAULT_TYPES, both_first, nov, LARGE))["group"]
    assert (check.required, check.held, check.behind) == (3, 1, True)  # 第一小组 twice is still one 小组
    untagged = held("group", HeldMeeting(date(2026, 11, 3), "第一小组"), HeldMeeting(date(2026, 11, 4)),
                    HeldMeeting(date(2026, 11, 5), "第二小组"))
    check = by_key(branch_compliance(DEFAULT_TYPES, untagged, nov, LARGE))["group"]
    assert (check.required, check.held, check.behind) == (3, 3, False)  # an untagged one counts for 第三小组


def test_groups_in_a_quarter_report_are_counted_month_by_month():
    meetings = held("group", *(HeldMeeting(date(2026, 10, d), g) for d, g in ((5, "第一小组"), (6, "第二小组"),
                                                                           (7, "第三小组"), (8, "第一小组"))))
    check = by_key(branch_compliance(DEFAULT_TYPES, meetings, date(2026, 12, 1), LARGE,
                                     report_period="quarter"))["group"]
    assert (check.required, check.held) == (9, 3)  # October's four cover three; November and December none


# ---- 组织生活会

def test_life_meeting_is_not_flagged_before_the_fourth_quarter():
    for day in (date(2026, 1, 5), date(2026, 6, 30), date(2026, 9, 30)):
        check = by_key(branch_compliance(DEFAULT_TYPES, {}, day, SMALL))["life_meeting"]
        assert (check.required, check.held, check.behind) == (1, 0, False), day
    october = by_key(branch_compliance(DEFAULT_TYPES, {}, date(2026, 10, 1), SMALL))["life_meeting"]
    assert october.behind
    year = by_key(branch_compliance(DEFAULT_TYPES, {}, date(2026, 6, 30), SMALL, report_period="year"))
    assert not year["life_meeting"].behind
    moved = meeting_types({"组织生活会": {"from_month": 7}})
    assert by_key(branch_compliance(moved, {}, date(2026, 7, 1), SMALL))["life_meeting"].behind


# ---- 书记讲党课

def test_the_secretary_lecture_counts_only_a_lecture_whose_minutes_name_the_secretary():
    day = date(2026, 12, 31)
    by_other = held("lecture", HeldMeeting(date(2026, 3, 5), chair="李四"), HeldMeeting(date(2026, 6, 5)))
    check = by_key(branch_compliance(DEFAULT_TYPES, by_other, day, SMALL))["secretary_lecture"]
    assert (check.type.name, check.required, check.held, check.behind) == ("书记讲党课", 1, 0, True)
    given = held("lecture", HeldMeeting(date(2026, 9, 5), chair="张三"))
    check = by_key(branch_compliance(DEFAULT_TYPES, given, day, SMALL))["secretary_lecture"]
    assert (check.held, check.behind, check.period) == (1, False, "year")


# ---- the 党委's bodies

def test_body_types_are_required_of_their_body_only():
    branch = by_key(branch_compliance(DEFAULT_TYPES, {}, date(2026, 11, 20), SMALL))
    assert "study_group" not in branch and "party_committee" not in branch and "committee" in branch
    body = by_key(branch_compliance(DEFAULT_TYPES, held("study_group", HeldMeeting(date(2026, 11, 2))),
                                    date(2026, 11, 20), BranchFacts(body="中心组")))
    assert list(body) == ["study_group"]
    assert (body["study_group"].required, body["study_group"].held, body["study_group"].period) == (1, 1, "month")


# ---- the overdue notice: the periods just ended

def test_the_notice_on_a_months_first_working_day_reports_the_month_just_ended():
    dec_1 = date(2026, 12, 1)
    assert ended_day(dec_1) == date(2026, 11, 30) and ended_periods(dec_1) == ("month",)
    assert ended_periods(date(2026, 10, 8)) == ("month", "quarter")
    assert ended_periods(date(2027, 1, 4)) == ("month", "quarter", "year")
    # a December meeting does not cover November; the month just begun is never reported
    checks = branch_compliance(DEFAULT_TYPES, held("theme_day", HeldMeeting(date(2026, 12, 1))), ended_day(dec_1),
                               BranchFacts(full_members=7))
    lines = ended_lines(checks, dec_1)
    assert lines == ["2026年11月未召开支部委员会会议（要求 1 次，已开 0 次）",
                     "2026年11月未开展主题党日（要求 1 次，已开展 0 次）"]
    assert not any("尚未" in line or "本月" in line for line in lines)
    text = ended_text("第一党支部", dec_1, lines)
    assert text.startswith("📋 第一党支部 三会一课提醒（2026-12-01）：\n· 2026年11月未召开支部委员会会议")


def test_in_january_the_quarter_and_year_just_ended_are_reported():
    jan = date(2027, 1, 4)
    meetings = {"lecture": [HeldMeeting(date(2026, 11, 5), chair="李四")],
                "theme_day": [HeldMeeting(date(2026, 12, d)) for d in (1,)]}
    lines = ended_lines(branch_compliance(DEFAULT_TYPES, meetings, ended_day(jan), SMALL), jan)
    assert lines == ["2026年第四季度未召开支部党员大会（要求 1 次，已开 0 次）",
                     "2026年未开展书记讲党课（要求 1 次，已开展 0 次）",
                     "2026年未召开组织生活会（要求 1 次，已开 0 次）"]
    twice = meeting_types({"主题党日": {"required": 2}})
    lines = ended_lines(branch_compliance(twice, meetings, ended_day(jan), SMALL), jan)
    assert "2026年12月主题党日少开展 1 次（要求 2 次，已开展 1 次）" in lines


# ---- the warning: a week before the end

def test_the_warning_speaks_in_a_months_last_week_of_the_periods_about_to_end():
    assert not warning_due(date(2026, 11, 23), 7) and warning_due(date(2026, 11, 24), 7)
    assert warning_due(date(2026, 11, 30), 7) and not warning_due(date(2026, 11, 30), 0)
    assert closing_periods(date(2026, 11, 24)) == ("month",)
    assert closing_periods(date(2026, 12, 24)) == ("month", "quarter", "year")
    day = date(2026, 9, 24)
    lines = warning_lines(branch_compliance(DEFAULT_TYPES, {}, day, SMALL), day)
    assert lines == ["本季度尚未召开支部党员大会（要求 1 次，已开 0 次）",
                     "本季度尚未开展党课（要求 1 次，已开展 0 次）",
                     "本月尚未开展主题党日（要求 1 次，已开展 0 次）"]  # no 组织生活会: not due before October
    assert warning_text("第一党支部", day, lines).startswith(
        "⏳ 第一党支部 三会一课提醒（2026-09-24）：本月还剩 7 天，以下会议尚未完成：\n· 本季度尚未召开支部党员大会")
    assert "今天是本月最后一天" in warning_text("第一党支部", date(2026, 9, 30), lines)


# ---- when the warning's job fires

def test_the_warning_fires_on_the_first_working_day_of_a_months_last_week():
    import pickle
    from datetime import datetime

    from scheduler.month_end import MonthEndTrigger
    from scheduler.shanghai import TZ
    from scheduler.workdays import WorkCalendar

    trigger = MonthEndTrigger(7, 9, 0, WorkCalendar())
    times, previous = [], None
    now = datetime(2026, 9, 25, 10, 0, tzinfo=TZ)  # after September's: the next is October's
    for _ in range(4):
        previous = trigger.get_next_fire_time(previous, now)
        times.append(previous)
    assert [f"{t:%Y-%m-%d %H:%M}" for t in times] == [
        "2026-10-26 09:00",  # the 25th, a Sunday, starts the last seven days: Monday the 26th
        "2026-11-24 09:00", "2026-12-25 09:00", "2027-01-25 09:00"]
    assert pickle.loads(pickle.dumps(trigger)) == trigger and str(trigger) == \
        "month_end_workday[last_days=7, time='09:00']"
    assert MonthEndTrigger(3, 9, 0, WorkCalendar()).fire_time_in(2026, 2) == datetime(2026, 2, 26, 9, 0, tzinfo=TZ)
