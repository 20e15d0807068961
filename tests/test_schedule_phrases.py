"""Workday calendar, workday-aware triggers and Chinese schedule phrases (scheduler/workdays, triggers, phrases).

Expectations about real holidays are computed from chinese_calendar itself where possible, so a data
update of the library changes the expectation together with the result.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.phrases import When, WhenError, format_time, occurrences, parse_when
from scheduler.triggers import TZ, MonthlyWorkdayTrigger, ShiftedTrigger
from scheduler.workdays import WorkCalendar

CAL = WorkCalendar()
SEPT = datetime(2026, 9, 1, tzinfo=TZ)  # a `now` before every 2026 date used below
UNCOVERED_2027 = not WorkCalendar.covers(2027)


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=TZ)


def library_next_workday(d: date) -> date:
    """Independent of WorkCalendar: straight from chinese_calendar."""
    while not chinese_calendar.is_workday(d):
        d += timedelta(days=1)
    return d


def month_window(y: int, m: int) -> tuple[datetime, datetime]:
    nxt = date(y + m // 12, m % 12 + 1, 1)
    return at(y, m, 1, 0, 0), datetime.combine(nxt, datetime.min.time(), tzinfo=TZ) - timedelta(microseconds=1)


def fires(text: str, y: int, m: int, *, calendar: WorkCalendar = CAL, shift: str = "next_workday") -> list[datetime]:
    return occurrences(parse_when(text, calendar=calendar, shift=shift, now=SEPT).trigger, *month_window(y, m))


# ---- the 2026 National Day week -----------------------------------------------------------------
def test_weekly_monday_plan_in_national_day_month_2026() -> None:
    mondays = [date(2026, 10, d) for d in (5, 12, 19, 26)]
    expected = sorted({datetime.combine(library_next_workday(d), at(2026, 1, 1).timetz()) for d in mondays})
    got = fires("每周一 09:00", 2026, 10)
    assert got == expected, (f"got {[format_time(t) for t in got]}, "
                             f"chinese_calendar says {[format_time(t) for t in expected]}")
    # Holiday Oct 1–7, so Monday 10-05 moves to Thursday 10-08; the other Mondays stay.
    assert [format_time(t) for t in got] == ["10月8日（周四）09:00", "10月12日（周一）09:00", "10月19日（周一）09:00",
                                             "10月26日（周一）09:00"], got
    assert all(t.tzinfo is TZ for t in got)


def test_weekly_plan_skip_and_none_policies() -> None:
    assert [t.day for t in fires("每周一 09:00", 2026, 10, shift="skip")] == [12, 19, 26]
    assert [t.day for t in fires("每周一 09:00", 2026, 10, shift="none")] == [5, 12, 19, 26]
    assert isinstance(parse_when("每周一 09:00", calendar=CAL, shift="none", now=SEPT).trigger, CronTrigger)


def test_plan_created_during_the_holiday_still_gets_the_postponed_monday() -> None:
    trigger = parse_when("每周一 09:00", calendar=CAL, now=SEPT).trigger
    assert trigger.get_next_fire_time(None, at(2026, 10, 6, 12)) == at(2026, 10, 8)


def test_first_workday_of_month_october_2026() -> None:
    got = fires("每月第一个工作日 08:30", 2026, 10)
    expected = datetime.combine(library_next_workday(date(2026, 10, 1)), at(2026, 1, 1, 8, 30).timetz())
    assert got == [expected] == [at(2026, 10, 8, 8, 30)], f"got {got}, chinese_calendar says {expected}"
    assert isinstance(parse_when("每月第一个工作日 08:30", calendar=CAL, now=SEPT).trigger, MonthlyWorkdayTrigger)


@pytest.mark.skipif(not UNCOVERED_2027, reason="chinese_calendar now has 2027 data")
def test_january_2027_falls_back_to_monday_to_friday() -> None:
    # Without data New Year's Day (Friday 2027-01-01) counts as a workday...
    assert fires("每月第一个工作日 08:30", 2027, 1) == [at(2027, 1, 1, 8, 30)]
    warning = CAL.coverage_warning([2026, 2027])
    assert warning is not None and "2027" in warning and "2026" not in warning
    assert "calendar.holidays" in warning
    # ...until the operator adds it.
    patched = WorkCalendar(holidays=[date(2027, 1, 1)])
    assert fires("每月第一个工作日 08:30", 2027, 1, calendar=patched) == [at(2027, 1, 4, 8, 30)]


def test_coverage() -> None:
    assert WorkCalendar.covers(2026)
    assert not CAL.covers(2099)
    assert CAL.coverage_warning([2025, 2026]) is None
    assert CAL.coverage_warning([2099, 2098, 2099]) == (
        "节假日数据不含 2098、2099 年：这些年份按周一至周五计算工作日，"
        "请在配置 calendar.holidays / calendar.workdays 中补充法定节假日和调休。")
    assert [CAL.is_workday(date(2099, 1, d)) for d in range(1, 8)] == [True, True, False, False, True, True, True]


# ---- WorkCalendar ---------------------------------------------------------------------------------
def test_calendar_follows_chinese_calendar_and_overrides_win() -> None:
    assert not CAL.is_workday(date(2026, 10, 5))  # 国庆
    assert CAL.is_workday(date(2026, 10, 10))  # 调休 Saturday
    cal = WorkCalendar(holidays=[date(2026, 10, 12), date(2026, 10, 10)],
                       workdays=[date(2026, 10, 6), date(2099, 1, 3)])
    assert not cal.is_workday(date(2026, 10, 12)) and not cal.is_workday(date(2026, 10, 10))
    assert cal.is_workday(date(2026, 10, 6)) and cal.is_workday(date(2099, 1, 3))
    # Monday 10-05 now moves only to Tuesday 10-06; Monday 10-12 becomes a holiday and moves to 10-13.
    assert [t.day for t in fires("每周一 09:00", 2026, 10, calendar=cal)] == [6, 13, 19, 26]
    both = WorkCalendar(holidays=[date(2026, 10, 12)], workdays=[date(2026, 10, 12)])
    assert not both.is_workday(date(2026, 10, 12))  # holidays are checked first


def test_next_and_nth_workday() -> None:
    assert CAL.next_workday(date(2026, 10, 1)) == date(2026, 10, 8)
    assert CAL.next_workday(date(2026, 10, 8)) == date(2026, 10, 8)
    assert CAL.next_workday(date(2026, 10, 10)) == date(2026, 10, 10)
    assert CAL.nth_workday(2026, 10, 1) == date(2026, 10, 8)
    assert CAL.nth_workday(2026, 10, 3) == date(2026, 10, 10)
    assert CAL.nth_workday(2026, 10, -1) == date(2026, 10, 30)
    assert CAL.nth_workday(2026, 10, 25) is None
    with pytest.raises(ValueError):
        CAL.nth_workday(2026, 10, 0)
    with pytest.raises(ValueError):
        WorkCalendar(holidays=[date(2026, 1, 1) + timedelta(days=i) for i in range(100)]).next_workday(date(2026, 1, 1))


# ---- ShiftedTrigger -------------------------------------------------------------------------------
def collect(trigger, start: datetime, n: int) -> list[datetime]:
    """The APScheduler way: each call gets the time it returned last."""
    out, prev = [], None
    for _ in range(n):
        prev = trigger.get_next_fire_time(prev, prev or start)
        if prev is None:
            break
        out.append(prev)
    return out


def test_two_base_times_on_one_holiday_run_fire_once() -> None:
    weekend = ShiftedTrigger(CronTrigger(day_of_week="sat,sun", hour=10, timezone=TZ), CAL)
    got = collect(weekend, at(2026, 11, 1, 0), 4)
    assert got == [at(2026, 11, 2, 10), at(2026, 11, 9, 10), at(2026, 11, 16, 10), at(2026, 11, 23, 10)]
    assert weekend.get_next_fire_time(at(2026, 11, 2, 10), at(2026, 11, 2, 10)) == at(2026, 11, 9, 10)


def test_shifted_times_strictly_increase_with_different_wall_clock_times() -> None:
    base = OrTrigger([CronTrigger(day_of_week="sat", hour=10, timezone=TZ),
                      CronTrigger(day_of_week="sun", hour=9, timezone=TZ)])
    got = collect(ShiftedTrigger(base, CAL), at(2026, 11, 1, 0), 4)
    assert got == [at(2026, 11, 2, 9), at(2026, 11, 2, 10), at(2026, 11, 9, 9), at(2026, 11, 9, 10)]


def test_shifted_trigger_with_now_far_away() -> None:
    trigger = parse_when("每周一 09:00", calendar=CAL, now=SEPT).trigger
    # APScheduler catching up on missed runs: the next after `previous`, however late `now` is.
    assert trigger.get_next_fire_time(at(2026, 10, 8), at(2030, 1, 1)) == at(2026, 10, 12)
    assert trigger.get_next_fire_time(None, at(1990, 1, 1)) == at(1990, 1, 1)  # a Monday, before the data
    assert trigger.get_next_fire_time(None, at(2100, 1, 1)) == at(2100, 1, 4)


def test_one_off_is_shifted_and_fires_once() -> None:
    when = parse_when("2026-10-01 09:00", calendar=CAL, now=SEPT)
    assert when.once and when.text == "2026-10-01 09:00"
    assert collect(when.trigger, SEPT, 3) == [at(2026, 10, 8)]
    plain = parse_when("2026-10-01 09:00", calendar=CAL, shift="none", now=SEPT)
    assert isinstance(plain.trigger, DateTrigger) and collect(plain.trigger, SEPT, 3) == [at(2026, 10, 1)]


def test_skip_policy_jumps_over_a_long_holiday_with_a_dense_base() -> None:
    every_minute = ShiftedTrigger(CronTrigger(minute="*", timezone=TZ), CAL, "skip")
    assert every_minute.get_next_fire_time(None, at(2026, 10, 1, 0)) == at(2026, 10, 8, 0)
    # Saturdays only, skipped: never fires, and says so instead of searching for ever.
    saturdays = ShiftedTrigger(CronTrigger(day_of_week="sat", hour=9, timezone=TZ), WorkCalendar(), "skip")
    assert saturdays.get_next_fire_time(None, at(2026, 11, 1)) is None


@settings(max_examples=40, deadline=None)
@given(
    weekdays=st.sets(st.integers(0, 6), min_size=1),
    hour=st.integers(0, 23),
    holidays=st.sets(st.dates(date(2026, 10, 20), date(2026, 12, 10)), max_size=12),
    policy=st.sampled_from(["next_workday", "skip", "none"]),
    split=st.integers(1, 40),
)
def test_shifted_trigger_matches_brute_force(weekdays, hour, holidays, policy, split) -> None:
    cal = WorkCalendar(holidays=holidays)
    names = ",".join(("mon", "tue", "wed", "thu", "fri", "sat", "sun")[w] for w in sorted(weekdays))
    base = CronTrigger(day_of_week=names, hour=hour, timezone=TZ)
    trigger = ShiftedTrigger(base, cal, policy)
    start, end = at(2026, 11, 1, 0), at(2026, 11, 30, 23)
    expected = sorted({s for b in occurrences(base, start - timedelta(days=61), end)
                       if (s := trigger.shift(b)) is not None and start <= s <= end})
    got = occurrences(trigger, start, end)
    assert got == expected
    assert all(a < b for a, b in zip(got, got[1:]))
    if policy != "none":
        assert all(cal.is_workday(t.date()) for t in got)
    middle = start + timedelta(days=split / 2)
    assert occurrences(trigger, start, middle) + occurrences(trigger, middle + timedelta(microseconds=1), end) == got


# ---- MonthlyWorkdayTrigger ------------------------------------------------------------------------
def test_monthly_and_quarterly_workday_triggers() -> None:
    assert fires("每月最后一个工作日 17:00", 2026, 10) == [at(2026, 10, 30, 17)]
    assert fires("每月第2个工作日 9:00", 2026, 10) == [at(2026, 10, 9)]
    quarterly = parse_when("每季度第一个工作日 09:00", calendar=CAL, now=SEPT).trigger
    got = occurrences(quarterly, at(2026, 1, 1, 0), at(2026, 12, 31, 23))
    expected = [at(2026, m, library_next_workday(date(2026, m, 1)).day) for m in (1, 4, 7, 10)]
    assert got == expected, f"got {got}, chinese_calendar says {expected}"
    bounded = MonthlyWorkdayTrigger(1, 9, 0, CAL, start_date=at(2026, 9, 2, 0), end_date=at(2026, 12, 1, 0))
    assert occurrences(bounded, at(2026, 1, 1), at(2027, 6, 1)) == [at(2026, 10, 8), at(2026, 11, 2)]
    with pytest.raises(ValueError):
        MonthlyWorkdayTrigger(0, 9, 0, CAL)


# ---- pickling -------------------------------------------------------------------------------------
PHRASES = ["每天 09:00", "每个工作日 09:00", "每周一 09:00", "每周一、三、五 08:30", "每周日 20:00", "每月1日 09:00",
           "每月第一个工作日 08:30", "每月最后一个工作日 17:00", "每季度第一个工作日 09:00", "2026-12-01 09:00",
           "0 9 * * 1", "每月1日、15日 10:00", "每月最后一天 18:00"]


@pytest.mark.parametrize("text", PHRASES)
def test_pickle_round_trip_and_canonical_text(text: str) -> None:
    cal = WorkCalendar(holidays=[date(2027, 1, 1)], workdays=[date(2027, 2, 6)])
    when = parse_when(text, calendar=cal, now=SEPT)
    copy = pickle.loads(pickle.dumps(when.trigger, protocol=pickle.HIGHEST_PROTOCOL))
    assert copy == when.trigger and str(copy) == str(when.trigger) and repr(copy) == repr(when.trigger)
    window = (SEPT, at(2027, 3, 1))
    assert occurrences(copy, *window) == occurrences(when.trigger, *window)
    assert parse_when(when.text, calendar=cal, now=SEPT) == when  # the canonical text means the same


def test_calendar_and_monthly_trigger_pickle() -> None:
    cal = WorkCalendar(holidays=[date(2027, 1, 1)])
    assert pickle.loads(pickle.dumps(cal)) == cal and pickle.loads(pickle.dumps(cal)).holidays == cal.holidays
    trigger = MonthlyWorkdayTrigger(-1, 17, 0, cal, start_date=SEPT, months=[3, 6])
    assert pickle.loads(pickle.dumps(trigger)) == trigger
    assert trigger != MonthlyWorkdayTrigger(-1, 17, 0, cal, start_date=SEPT, months=[3, 9])


def test_sqlalchemy_job_store_round_trip(tmp_path: Path) -> None:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    when = parse_when("每周一 09:00", calendar=WorkCalendar(holidays=[date(2026, 10, 12)]), now=SEPT)
    scheduler = BackgroundScheduler(timezone=TZ, jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{tmp_path}/j.db")})
    scheduler.start(paused=True)
    try:
        scheduler.add_job("builtins:print", trigger=when.trigger, id="weekly")
        assert scheduler.get_job("weekly").trigger == when.trigger
    finally:
        scheduler.shutdown(wait=False)


# ---- phrases --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "hh_mm"), [
    ("每天 9点半", "09:30"), ("每天 下午2点30", "14:30"), ("每天 上午9点", "09:00"), ("每天9:00", "09:00"),
    ("每天 09:00", "09:00"), ("每天 ９：００", "09:00"), ("每天 9点", "09:00"), ("每天 晚上8点", "20:00"),
    ("每天 中午12点", "12:00"), ("每天 下午 2点 30分", "14:30"), ("每天 九点十五", "09:15"),
])
def test_times(text: str, hh_mm: str) -> None:
    assert parse_when(text, calendar=CAL, now=SEPT).text == f"每天 {hh_mm}"


@pytest.mark.parametrize(("text", "canonical", "description"), [
    ("每周一 09:00", "每周一 09:00", "每周一 09:00（遇节假日顺延至下一个工作日）"),
    ("周三 09:00", "每周三 09:00", None), ("每星期三 9点", "每周三 09:00", None),
    ("每周五 16:00", "每周五 16:00", None),
    ("每周一、三、五 08:30", "每周一、三、五 08:30", "每周一、三、五 08:30（遇节假日顺延至下一个工作日）"),
    ("每周一至周五 8:30", "每周一、二、三、四、五 08:30", None),
    ("每周日 20:00", "每周日 20:00", "每周日 20:00"),
    ("每月1号 9:00", "每月1日 09:00", None), ("每月15日 09:00", "每月15日 09:00", None),
    ("每个工作日 09:00", "每个工作日 09:00", "每个工作日 09:00"), ("工作日 9点", "每个工作日 09:00", None),
    ("每月第2个工作日 9:00", "每月第二个工作日 09:00", "每月第二个工作日 09:00"),
    ("每月 第 一 个工作日 8:30", "每月第一个工作日 08:30", None),
    ("2026/12/1 9:00", "2026-12-01 09:00", "仅一次：2026年12月1日（周二）09:00（遇节假日顺延至下一个工作日）"),
    ("cron 0 9 * * 1", "0 9 * * 1", "cron「0 9 * * 1」（遇节假日顺延至下一个工作日）"),
])
def test_phrases(text: str, canonical: str, description: str | None) -> None:
    when = parse_when(text, calendar=CAL, now=SEPT)
    assert when.text == canonical
    if description is not None:
        assert when.description == description


def test_skip_description_and_weekend_days_are_kept() -> None:
    skipped = parse_when("每周一 09:00", calendar=CAL, shift="skip", now=SEPT)
    assert skipped.description == "每周一 09:00（遇节假日跳过）"
    assert parse_when("每周一 09:00", calendar=CAL, shift="none", now=SEPT).description == "每周一 09:00"
    # Sunday 2026-10-04 is inside the National Day holiday; a plan explicitly on Sundays stays there.
    assert [t.day for t in fires("每周日 20:00", 2026, 10)] == [4, 11, 18, 25]


def test_month_day_without_year_is_the_next_occurrence() -> None:
    after = parse_when("12月1日 09:00", calendar=CAL, shift="none", now=at(2026, 12, 5))
    assert after.trigger.run_date == at(2027, 12, 1)
    before = parse_when("12月1日 09:00", calendar=CAL, shift="none", now=at(2026, 11, 30))
    assert before.trigger.run_date == at(2026, 12, 1)
    leap = parse_when("2月29日 09:00", calendar=CAL, shift="none", now=at(2026, 3, 1))
    assert leap.trigger.run_date == at(2028, 2, 29)


def test_cron_day_of_week_uses_cron_numbering() -> None:
    start, end = at(2026, 11, 1, 0), at(2026, 11, 30, 23)
    mondays = occurrences(parse_when("0 9 * * 1", calendar=CAL, shift="none", now=SEPT).trigger, start, end)
    assert [t.day for t in mondays] == [2, 9, 16, 23, 30] and all(t.weekday() == 0 for t in mondays)
    for sunday in ("0 9 * * 0", "0 9 * * 7", "0 9 * * sun"):
        got = occurrences(parse_when(sunday, calendar=CAL, shift="none", now=SEPT).trigger, start, end)
        assert [t.day for t in got] == [1, 8, 15, 22, 29], sunday
    weekdays = occurrences(parse_when("30 8 * * 1-5", calendar=CAL, shift="none", now=SEPT).trigger, start, end)
    assert {t.weekday() for t in weekdays} == {0, 1, 2, 3, 4} and len(weekdays) == 21
    # Shifted by default: Monday 2026-10-05 (国庆) → Thursday 10-08.
    assert fires("0 9 * * 1", 2026, 10)[0] == at(2026, 10, 8)


def test_occurrences_over_a_month() -> None:
    got = fires("每个工作日 09:00", 2026, 10)
    workdays = [d for d in (date(2026, 10, i) for i in range(1, 32)) if chinese_calendar.is_workday(d)]
    assert [t.date() for t in got] == workdays and len(got) == 18  # including 调休 Saturday 10-10
    daily = parse_when("每天 09:00", calendar=CAL, shift="none", now=SEPT).trigger
    assert len(occurrences(daily, *month_window(2026, 10), limit=5)) == 5


def test_format_time() -> None:
    assert format_time(at(2026, 12, 1)) == "12月1日（周二）09:00"
    assert format_time(datetime(2026, 12, 1, 1, 0)) == "12月1日（周二）01:00"  # naive = Shanghai wall clock
    assert format_time(datetime.fromisoformat("2026-12-01T01:00:00+00:00")) == "12月1日（周二）09:00"


@pytest.mark.parametrize(("text", "message"), [
    ("每周八 9点", "看不懂时间「每周八 9点」：星期应为一到日"),
    ("每天 25:00", "时间应为 HH:MM，例如 09:00"),
    ("每天 9", "时间应为 HH:MM，例如 09:00"),
    ("2026-02-30 09:00", "「2026-02-30」不是有效日期"),
    ("2月30日 9点", "「2月30日」不是有效日期"),
    ("0 9 * *", "cron 表达式应为 5 段：分 时 日 月 周"),
    ("0 9 * * 1 2026", "cron 表达式应为 5 段：分 时 日 月 周"),
    ("0 9 * * 8", "cron 的「周」字段"),
    ("0 9 1 * 1", "不能同时限定「日」和「周」"),
    ("0 25 * * *", "cron 表达式有误"),
    ("每月第三个工作日", "看不懂时间「每月第三个工作日」：缺少时间，例如「每月第三个工作日 09:00」"),
    ("每月第30个工作日 9点", "第几个工作日应为 1～23"),
    ("每月32日 9点", "每月的日期应为 1～31 日"),
    ("每周 9点", "请写明星期几"),
    ("下周找个时间", "可以这样写"),
    ("2026-01-05 09:00", "已经过去"),
])
def test_errors(text: str, message: str) -> None:
    with pytest.raises(WhenError) as info:
        parse_when(text, calendar=CAL, now=SEPT)
    assert message in info.value.message, info.value.message


def test_shift_policy_words() -> None:
    for policy in ("next_workday", "skip", "none"):
        assert isinstance(parse_when("每周一 09:00", calendar=CAL, shift=policy, now=SEPT), When)
    with pytest.raises(WhenError, match="next_workday"):
        parse_when("每周一 09:00", calendar=CAL, shift="postpone", now=SEPT)


def test_import_is_pure() -> None:
    code = "import sys, scheduler.phrases; assert not [m for m in sys.modules if m == 'bot' or m.startswith('bot.')]"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[1])
