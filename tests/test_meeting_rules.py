"""三会一课 rules (scheduler/meetings/): parsing 「安排会议」, reminders, sign-in and compliance."""

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from scheduler.meetings import (
    DEFAULT_OFFSETS,
    DEFAULT_TYPES,
    TZ,
    USAGE,
    MeetingError,
    attendance_rate,
    cancelled_text,
    changed_text,
    compliance,
    find_type,
    meeting_types,
    overdue_lines,
    parse_meeting,
    period_bounds,
    period_label,
    reminder_text,
    reminder_times,
    signin_state,
    signin_window,
)

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)  # a Friday


class FakeCalendar:
    """Monday to Friday, one weekday holiday and one 调休 Saturday that is worked."""

    holidays = {date(2026, 12, 2)}
    extra_workdays = {date(2026, 12, 12)}

    def is_workday(self, d: date) -> bool:
        return d in self.extra_workdays or (d.weekday() < 5 and d not in self.holidays)


def parse(text: str, now: datetime = NOW):
    return parse_meeting(text, types=DEFAULT_TYPES, now=now, calendar=FakeCalendar())


def error(text: str, now: datetime = NOW) -> str:
    with pytest.raises(MeetingError) as info:
        parse(text, now)
    return str(info.value)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


# ---- parsing

def test_committee_with_place_and_topic():
    draft = parse("支委会 2026-12-01 14:30 三楼会议室 学习二十大精神")
    assert draft.type.key == "committee" and draft.type.name == "支部委员会会议"
    assert draft.start == at(2026, 12, 1, 14, 30) and draft.start.tzinfo is TZ
    assert (draft.place, draft.topic, draft.warnings) == ("三楼会议室", "学习二十大精神", ())


def test_lecture_with_month_day_and_topic_label():
    draft = parse("党课 12月3日 9:00 党员活动室 主题：廉洁从业")
    assert draft.type.key == "lecture"
    assert draft.start == at(2026, 12, 3, 9, 0)
    assert (draft.place, draft.topic, draft.warnings) == ("党员活动室", "廉洁从业", ())


def test_theme_day_on_saturday_warns():
    draft = parse("主题党日 2026/12/5 下午2点 线上")
    assert draft.type.key == "theme_day"
    assert draft.start == at(2026, 12, 5, 14, 0)
    assert (draft.place, draft.topic) == ("线上", "")
    assert draft.warnings == ("2026-12-05 是周六，不是工作日，请确认。",)


def test_general_assembly_tomorrow_without_place():
    draft = parse("党员大会 明天 15:00")
    assert draft.type.key == "general_assembly"
    assert draft.start == at(2026, 11, 21, 15, 0)
    assert (draft.place, draft.topic) == ("", "")
    assert draft.warnings == ("2026-11-21 是周六，不是工作日，请确认。",)


def test_command_word_and_multiword_topic_and_full_width_space():
    draft = parse("安排会议 小组会\u30002026-12-01 14:30 地点：二楼 主题: 学习 党章")
    assert (draft.type.key, draft.place, draft.topic) == ("group", "二楼", "学习 党章")


def test_topic_right_after_time_means_no_place():
    draft = parse("组织生活会 2026-12-01 14:30 主题：批评与自我批评")
    assert (draft.type.key, draft.place, draft.topic) == ("life_meeting", "", "批评与自我批评")


@pytest.mark.parametrize(("word", "hour", "minute"), [
    ("14:30", 14, 30), ("14：30", 14, 30), ("9点", 9, 0), ("9点半", 9, 30), ("下午2点30", 14, 30),
    ("下午2点30分", 14, 30), ("上午10点", 10, 0), ("中午12点", 12, 0), ("中午1点", 13, 0), ("晚上7点", 19, 0),
    ("下午14:30", 14, 30), ("9时15分", 9, 15),
])
def test_time_forms(word, hour, minute):
    assert parse(f"支委会 2026-12-01 {word}").start == at(2026, 12, 1, hour, minute)


@pytest.mark.parametrize(("word", "day"), [
    ("2026-12-01", date(2026, 12, 1)), ("2026/12/1", date(2026, 12, 1)), ("2026年12月1日", date(2026, 12, 1)),
    ("12月1日", date(2026, 12, 1)), ("12月1号", date(2026, 12, 1)), ("12/1", date(2026, 12, 1)),
    ("今天", date(2026, 11, 20)), ("明天", date(2026, 11, 21)), ("后天", date(2026, 11, 22)),
    ("11月20日", date(2026, 11, 20)),  # today is "on or after today"
])
def test_date_forms(word, day):
    assert parse(f"支委会 {word} 16:00").start == datetime.combine(day, datetime.min.time(), TZ) + timedelta(hours=16)


def test_month_day_already_past_moves_to_next_year_with_a_warning():
    draft = parse("支委会 11月2日 14:30")
    assert draft.start == at(2027, 11, 2, 14, 30)
    assert draft.warnings == ("11月2日今年已过，已按 2027-11-02 安排，请确认。",)


def test_date_and_time_in_one_token():
    assert parse("支委会 明天下午3点 三楼").start == at(2026, 11, 21, 15, 0)
    assert parse("支委会 12月1日14:30").start == at(2026, 12, 1, 14, 30)


def test_naive_now_is_shanghai_wall_clock():
    assert parse("支委会 明天 15:00", now=NOW.replace(tzinfo=None)).start == at(2026, 11, 21, 15, 0)


def test_empty_text_shows_format_and_example():
    for text in ("", "   ", "安排会议"):
        message = error(text)
        assert message == USAGE
        assert "<类型> <日期> <时间>" in message and "支委会 2026-12-01 14:30" in message


def test_unknown_type_lists_valid_names():
    message = error("民主生活会 2026-12-01 14:30")  # the leadership team's meeting, not the branch's
    assert "未知的会议类型「民主生活会」" in message
    for t in DEFAULT_TYPES:
        assert t.name in message


@pytest.mark.parametrize(("text", "expected"), [
    ("支委会", "缺少会议日期"),
    ("支委会 14:30 三楼", "缺少会议日期"),
    ("支委会 下周 14:30", "无法识别日期「下周」"),
    ("支委会 昨天 14:30", "「昨天」已经过去，安排会议请写今天或以后的日期"),  # understood, not 「无法识别」
    ("支委会 上个月5号 14:30", "「上个月」已经过去"),
    ("支委会 2026-02-30 14:30", "日期「2026-02-30」不存在"),
    ("支委会 4月31日 14:30", "日期「4月31日」不存在"),
    ("支委会 2026-12-01", "缺少会议时间"),
    ("支委会 2026-12-01 三楼会议室", "无法识别时间「三楼会议室」"),
    ("支委会 2026-12-01 25:00", "时间「25:00」不存在"),
    ("支委会 2026-12-01 14:75", "时间「14:75」不存在"),
    ("支委会 今天 9:00", "会议时间已过"),
    ("支委会 2026-11-01 14:30", "会议时间已过"),
])
def test_errors(text, expected):
    assert expected in error(text)


def test_holiday_warns_and_worked_saturday_does_not():
    assert parse("支委会 2026-12-02 14:30").warnings == ("2026-12-02 是周三，不是工作日，请确认。",)
    assert parse("支委会 2026-12-12 14:30").warnings == ()  # a 调休 Saturday


def test_without_calendar_only_weekends_warn():
    assert parse_meeting("支委会 2026-12-02 14:30", now=NOW).warnings == ()
    assert parse_meeting("支委会 2026-12-06 14:30", now=NOW).warnings == ("2026-12-06 是周日，不是工作日，请确认。",)


def test_start_within_an_hour_warns():
    draft = parse("支委会 今天 10:40")
    assert len(draft.warnings) == 1 and "不足 1 小时" in draft.warnings[0] and "40 分钟" in draft.warnings[0]
    assert parse("支委会 今天 11:00").warnings == ()


# ---- types and overrides

def test_find_type_by_name_alias_or_key():
    assert find_type(DEFAULT_TYPES, "支部委员会会议").key == "committee"
    assert find_type(DEFAULT_TYPES, "支委会").key == "committee"
    assert find_type(DEFAULT_TYPES, "Theme_Day").key == "theme_day"
    assert find_type(DEFAULT_TYPES, "主题党日活动").key == "theme_day"
    assert find_type(DEFAULT_TYPES, "民主生活会") is None
    assert all(t.points == 5 for t in DEFAULT_TYPES)
    assert {t.key: (t.period, t.required) for t in DEFAULT_TYPES} == {
        "general_assembly": ("quarter", 1), "committee": ("month", 1), "group": ("month", 1),
        "lecture": ("quarter", 1), "theme_day": ("month", 1), "life_meeting": ("year", 1),
        "study_group": ("month", 1), "party_committee": ("month", 1),
    }
    assert find_type(DEFAULT_TYPES, "中心组学习").body == "中心组" and find_type(DEFAULT_TYPES, "党委会").body == "党委"
    assert find_type(DEFAULT_TYPES, "组织生活会").from_month == 10


def test_overrides_by_key_or_chinese_name():
    types = meeting_types({"lecture": {"period": "month", "points": 10}, "组织生活会": {"required": 2},
                           "支委会": {"aliases": ["委员会"]}})
    lecture, life, committee = (find_type(types, k) for k in ("lecture", "life_meeting", "committee"))
    assert (lecture.period, lecture.points, lecture.required) == ("month", 10, 1)
    assert life.required == 2
    assert committee.aliases == ("委员会",) and find_type(types, "支委会") is None  # aliases are replaced
    assert meeting_types(None) == DEFAULT_TYPES and meeting_types({}) == DEFAULT_TYPES


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"committee": {"period": "week"}}, "会议类型「committee」的 period"),
    ({"committee": {"required": -1}}, "会议类型「committee」的 required"),
    ({"党课": {"points": 2.5}}, "会议类型「党课」的 points"),
    ({"党课": {"required": True}}, "会议类型「党课」的 required"),
    ({"党课": {"aliases": "讲课"}}, "会议类型「党课」的 aliases"),
    ({"党课": {"color": "red"}}, "会议类型「党课」不支持设置 color"),
    ({"民主生活会": {"required": 1}}, "未知的会议类型「民主生活会」"),
    ({"lecture": {"aliases": ["支委会"]}}, "别名「支委会」"),
])
def test_override_validation(overrides, expected):
    with pytest.raises(ValueError, match=expected):
        meeting_types(overrides)


# ---- reminders, sign-in, announcements

START = at(2026, 12, 1, 14, 30)


def test_reminder_times_at_default_offsets():
    assert DEFAULT_OFFSETS == (timedelta(days=3), timedelta(days=1), timedelta(hours=1))
    assert reminder_times(START) == [
        (timedelta(days=3), at(2026, 11, 28, 14, 30)),
        (timedelta(days=1), at(2026, 11, 30, 14, 30)),
        (timedelta(hours=1), at(2026, 12, 1, 13, 30)),
    ]
    assert [o for o, _ in reminder_times(START, now=at(2026, 11, 29, 9, 0))] == [timedelta(days=1), timedelta(hours=1)]


def test_reminder_text():
    assert reminder_text("支部委员会会议", START, "三楼会议室", "学习二十大精神", timedelta(days=1)) == (
        "⏰ 会议提醒：支部委员会会议将于 12月1日（周二）14:30 召开（还有 1 天）\n地点：三楼会议室\n"
        "主题：学习二十大精神\n请准时参加，到会后发送「签到」。")
    assert "（还有 3 天）" in reminder_text("党课", START, "", "", timedelta(days=3))
    text = reminder_text("党课", START, "", "", timedelta(hours=1))
    assert "（还有 1 小时）" in text and "地点" not in text and "主题" not in text
    assert "（还有 30 分钟）" in reminder_text("党课", START, "", "", timedelta(minutes=30))


def test_signin_window_boundaries():
    assert signin_window(START) == (START - timedelta(minutes=30), START + timedelta(hours=2))
    assert signin_state(START, START - timedelta(minutes=30, seconds=1)) == "early"
    assert signin_state(START, START - timedelta(minutes=30)) == "open"
    assert signin_state(START, START + timedelta(hours=2)) == "open"
    assert signin_state(START, START + timedelta(hours=2, seconds=1)) == "closed"
    assert signin_state(START, (START + timedelta(hours=1)).replace(tzinfo=None)) == "open"  # naive is Shanghai


def test_changed_and_cancelled_texts():
    text = changed_text("支部委员会会议", START, at(2026, 12, 2, 15, 0), "四楼", "学习二十大精神",
                        old_place="三楼会议室")
    assert text.startswith("📢 会议变更：支部委员会会议时间由 12月1日（周二）14:30 改为 12月2日（周三）15:00，"
                           "地点由 三楼会议室 改为 四楼")
    assert "\n地点：四楼\n主题：学习二十大精神\n" in text
    text = cancelled_text("党课", START, "党员活动室", "与上级会议冲突")
    assert text == ("❌ 会议取消：原定 12月1日（周二）14:30 召开的党课取消。\n原地点：党员活动室\n"
                    "原因：与上级会议冲突\n请相互转告。")


# ---- compliance

def test_period_bounds_and_labels():
    assert period_bounds("month", date(2026, 12, 15)) == (date(2026, 12, 1), date(2027, 1, 1))
    assert period_bounds("month", date(2026, 2, 28)) == (date(2026, 2, 1), date(2026, 3, 1))
    assert period_bounds("quarter", date(2026, 12, 1)) == (date(2026, 10, 1), date(2027, 1, 1))
    assert period_bounds("quarter", date(2026, 5, 31)) == (date(2026, 4, 1), date(2026, 7, 1))
    assert period_bounds("quarter", date(2026, 1, 1)) == (date(2026, 1, 1), date(2026, 4, 1))
    assert period_bounds("year", date(2026, 7, 1)) == (date(2026, 1, 1), date(2027, 1, 1))
    assert period_label("quarter", date(2026, 12, 1)) == "2026年第四季度"
    assert period_label("quarter", date(2026, 4, 1)) == "2026年第二季度"
    assert period_label("month", date(2026, 12, 1)) == "2026年12月"
    assert period_label("year", date(2026, 12, 1)) == "2026年"
    with pytest.raises(ValueError):
        period_bounds("week", date(2026, 12, 1))


HELD = {"committee": [date(2026, 10, 15), date(2026, 11, 12)], "life_meeting": []}
DEC_1 = date(2026, 12, 1)


def by_key(rows):
    return {c.type.key: c for c in rows}


def test_compliance_over_each_types_own_period():
    rows = by_key(compliance(DEFAULT_TYPES, HELD, DEC_1))
    committee = rows["committee"]
    assert (committee.period, committee.period_start, committee.period_end) == ("month", DEC_1, date(2027, 1, 1))
    assert (committee.held, committee.required, committee.behind) == (0, 1, True)
    assembly = rows["general_assembly"]
    assert (assembly.period_start, assembly.held, assembly.required, assembly.behind) == (
        date(2026, 10, 1), 0, 1, True)
    lines = overdue_lines(rows.values(), DEC_1)
    assert "本季度尚未召开支部党员大会（要求 1 次，已开 0 次）" in lines
    assert "本月尚未召开支部委员会会议（要求 1 次，已开 0 次）" in lines
    assert "本月尚未开展主题党日（要求 1 次，已开展 0 次）" in lines
    assert "本年度尚未召开组织生活会（要求 1 次，已开 0 次）" in lines


def test_compliance_in_a_quarter_report():
    rows = by_key(compliance(DEFAULT_TYPES, HELD, DEC_1, report_period="quarter"))
    committee = rows["committee"]
    assert (committee.period, committee.held, committee.required, committee.behind) == ("quarter", 2, 3, True)
    assert "本季度支部委员会会议还差 1 次（要求 3 次，已开 2 次）" in overdue_lines(rows.values(), DEC_1)
    life = rows["life_meeting"]  # Q4: the whole year is checked
    assert (life.period, life.period_start, life.required, life.behind) == ("year", date(2026, 1, 1), 1, True)
    life_q3 = by_key(compliance(DEFAULT_TYPES, HELD, date(2026, 8, 1), report_period="quarter"))["life_meeting"]
    assert (life_q3.period, life_q3.required, life_q3.behind) == ("quarter", 0, False)


def test_compliance_in_a_year_report_and_met_requirements():
    held = {"committee": [date(2026, m, 10) for m in range(1, 13)], "general_assembly": [date(2026, 3, 1)],
            "life_meeting": [datetime(2026, 12, 20, 9, 0, tzinfo=TZ)], "group": [date(2025, 12, 31)]}
    rows = by_key(compliance(DEFAULT_TYPES, held, date(2026, 12, 31), report_period="year"))
    assert (rows["committee"].required, rows["committee"].held, rows["committee"].behind) == (12, 12, False)
    assert (rows["general_assembly"].required, rows["general_assembly"].held) == (4, 1)
    assert (rows["life_meeting"].held, rows["life_meeting"].behind) == (1, False)
    assert rows["group"].held == 0  # last year's meeting does not count
    lines = overdue_lines(rows.values(), date(2026, 12, 31))
    assert not any("支部委员会会议" in line or "组织生活会" in line for line in lines)
    assert "本年度支部党员大会还差 3 次（要求 4 次，已开 1 次）" in lines


def test_overdue_lines_name_a_past_period():
    rows = compliance(DEFAULT_TYPES, {}, date(2026, 9, 30))
    lines = overdue_lines(rows, date(2026, 10, 8))  # a report on Q3, read in October
    assert "2026年第三季度尚未召开支部党员大会（要求 1 次，已开 0 次）" in lines


def test_attendance_rate():
    assert attendance_rate(9, 12) == 0.75
    assert attendance_rate(13, 12) == 1.0
    assert attendance_rate(0, 0) is None
    with pytest.raises(ValueError):
        attendance_rate(-1, 3)


def test_module_is_pure():
    code = "import sys, scheduler.meetings; print(sorted(m for m in sys.modules if m.split('.')[0] == 'bot'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "[]"
