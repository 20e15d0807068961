"""Scheduled pushes end to end: the outbox (restart mid fan-out, failures, rate limit), plans reloaded,
missed runs within and beyond their grace, a plan's contest, the real AsyncIOScheduler, and bad plan files."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from pathlib import Path

from helpers import CHANNEL, RecordingChannel, group_msg, make_app
from sqlmodel import select

from bot.app import App
from bot.clock import ManualClock, SystemClock
from bot.messages import Outgoing
from bot.storage.models import OutboxRow
from bot.storage.outbox import Push, enqueue

MONDAY = datetime(2026, 11, 23, 8, 0)  # a Monday, working day


def write_plan(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return path


WEEKLY = """\
plans:
  - name: 周一学习
    when: 每周一 09:00
    to: [第一党支部]
    folder: 党史学习
  - name: 周三学习
    when: 每周三 09:00
    to: [第一党支部]
    items: [02-sanhui-yike]
"""


def started(tmp_path: Path, clock: ManualClock, plan: Path | None = None, *, db: str,
            **overrides) -> tuple[App, RecordingChannel]:
    overrides["database"] = {"url": db}
    if plan is not None:
        overrides.setdefault("content", {})["plans"] = [str(plan)]
    app = make_app(tmp_path, clock, **overrides)
    channel = RecordingChannel()
    app.add_channel(channel)
    app.start()
    return app, channel


def advance(app: App, clock: ManualClock, delta: timedelta) -> None:
    target = clock.now() + delta
    while (due := app.next_due()) is not None and due <= target:
        clock.set(max(due, clock.now()))
        if not app.fire_due_timers() and app.next_due() == due:
            break
    clock.set(target)


def outbox(app: App) -> list[OutboxRow]:
    with app.db.session() as session:
        return list(session.exec(select(OutboxRow).order_by(OutboxRow.id)))


def fan_out(app: App, clock: ManualClock, count: int, chat_id: str = "第一党支部") -> None:
    now = clock.now()
    with app.db.session() as session:
        enqueue(session=session, now=now, pushes=[
            Push(key=f"test:{chat_id}:{i}", kind="study", channel=CHANNEL, chat_id=chat_id, chat_name=chat_id,
                 is_group=True, text=f"推送 {i}", due_at=now) for i in range(count)])
        session.commit()


def test_a_weekly_plan_pushes_each_monday_in_order_and_learn_shows_the_last_push(tmp_path: Path,
                                                                                 database_url: str) -> None:
    clock = ManualClock(MONDAY)
    app, channel = started(tmp_path, clock, write_plan(tmp_path, WEEKLY), db=database_url)
    app.handle(group_msg("张三", "帮助", at=clock.now()))  # the bot learns the group
    advance(app, clock, timedelta(days=14))
    titles = [m.text.splitlines()[0] for m in channel.sent]
    assert titles == ["📖 南湖红船与红船精神", "📖 三会一课制度要点", "📖 遵义会议：党的历史上生死攸关的转折点",
                      "📖 三会一课制度要点"], titles
    rows = outbox(app)
    assert [r.status for r in rows] == ["sent"] * 4
    assert [r.sent_at.strftime("%a %H:%M") for r in rows] == ["Mon 09:00", "Wed 09:00", "Mon 09:00", "Wed 09:00"]
    [reply] = app.handle(group_msg("李四", "学习", at=clock.now()))
    assert reply.text.startswith("📖 三会一课制度要点")
    app.close()


def test_a_restart_in_the_middle_of_a_fan_out_sends_the_rest_once(tmp_path: Path, database_url: str) -> None:
    clock = ManualClock(MONDAY)
    app, channel = started(tmp_path, clock, db=database_url)
    fan_out(app, clock, 30)
    app.fire_due_timers()
    assert len(channel.sent) == 20  # the group robot's limit: 20 a minute
    app.close()  # the process stops; ten rows are still pending

    clock.set(clock.now() + timedelta(seconds=10))
    app2, channel2 = started(tmp_path, clock, db=database_url)  # start() drains what it may: the window still holds 20
    assert channel2.sent == []
    advance(app2, clock, timedelta(minutes=2))
    assert [m.text for m in channel2.sent] == [f"推送 {i}" for i in range(20, 30)]
    assert [r.status for r in outbox(app2)] == ["sent"] * 30
    app2.close()


def test_rows_written_before_a_crash_are_sent_after_the_restart(tmp_path: Path, database_url: str) -> None:
    clock = ManualClock(MONDAY)
    app, channel = started(tmp_path, clock, db=database_url)
    fan_out(app, clock, 3)
    app.close()  # crashed before the worker ran
    app2, channel2 = started(tmp_path, clock, db=database_url)
    assert [m.text for m in channel2.sent] == ["推送 0", "推送 1", "推送 2"]
    app2.close()


class Flaky(RecordingChannel):
    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def send(self, message: Outgoing) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("platform busy")
        super().send(message)


def test_a_failed_push_is_retried_later_and_given_up_after_its_attempts(tmp_path: Path, database_url: str,
                                                                        caplog) -> None:
    clock = ManualClock(MONDAY)
    app = make_app(tmp_path, clock, database={"url": database_url})
    flaky = Flaky(failures=2)
    app.add_channel(flaky)
    app.start()
    fan_out(app, clock, 1)
    app.fire_due_timers()
    [row] = outbox(app)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "ConnectionError: platform busy")
    advance(app, clock, timedelta(hours=1))
    assert [m.text for m in flaky.sent] == ["推送 0"]
    [row] = outbox(app)
    assert (row.status, row.attempts) == ("sent", 3)

    flaky.failures = 100
    fan_out(app, clock, 1, chat_id="第二党支部")
    with caplog.at_level(logging.ERROR):
        advance(app, clock, timedelta(days=2))
    gone = [r for r in outbox(app) if r.chat_id == "第二党支部"]
    assert gone[0].status == "failed" and gone[0].attempts == 8
    assert "given up after 8 attempts" in caplog.text
    app.close()


def test_a_plan_edited_and_reloaded_updates_its_jobs_without_duplicates(tmp_path: Path, database_url: str) -> None:
    clock = ManualClock(MONDAY)
    plan = write_plan(tmp_path, WEEKLY)
    app, _ = started(tmp_path, clock, plan, db=database_url)
    jobs = dict(app.schedule.jobs.jobs("plan:"))
    assert jobs == {"plan:plan#周一学习": datetime(2026, 11, 23, 9, 0),
                    "plan:plan#周三学习": datetime(2026, 11, 25, 9, 0)}
    monday = "  - name: 周一学习\n    when: 每周一 09:00\n    to: [第一党支部]\n    folder: 党史学习\n"
    plan.write_text(WEEKLY.replace("每周三 09:00", "每周四 10:30").replace(monday, "")
                    + "  - name: 周五竞赛\n    when: 每周五 16:00\n    to: [第一党支部]\n    contest: {questions: 2}\n",
                    encoding="utf-8")
    assert app.schedule.refresh_plans()
    assert dict(app.schedule.jobs.jobs("plan:")) == {"plan:plan#周三学习": datetime(2026, 11, 26, 10, 30),
                                                      "plan:plan#周五竞赛": datetime(2026, 11, 27, 16, 0)}
    assert not app.schedule.refresh_plans()  # unchanged file: nothing to do
    assert app.schedule.reconcile() == (0, 0, 0)  # and reconciling again changes nothing
    app.close()
    app2, _ = started(tmp_path, clock, plan, db=database_url)  # a restart keeps them as they are
    assert len(app2.schedule.jobs.jobs("plan:")) == 2
    app2.close()


def test_a_push_missed_while_down_is_sent_within_its_grace_and_skipped_beyond(tmp_path: Path, database_url: str,
                                                                              caplog) -> None:
    clock = ManualClock(MONDAY)
    plan = write_plan(tmp_path, WEEKLY)
    app, _ = started(tmp_path, clock, plan, db=database_url)
    app.handle(group_msg("张三", "帮助", at=clock.now()))
    app.close()
    clock.set(datetime(2026, 11, 23, 11, 0))  # two hours late: within the 6 h grace
    app2, channel = started(tmp_path, clock, plan, db=database_url)
    assert [m.text.splitlines()[0] for m in channel.sent] == ["📖 南湖红船与红船精神"]
    app2.close()
    clock.set(datetime(2026, 11, 25, 20, 0))  # Wednesday's 09:00 push is 11 hours late: skipped
    with caplog.at_level(logging.WARNING):
        app3, channel3 = started(tmp_path, clock, plan, db=database_url)
    assert channel3.sent == []
    assert 'Run time of job "plan:plan#周三学习" was missed by' in caplog.text
    assert dict(app3.schedule.jobs.jobs("plan:"))["plan:plan#周三学习"] == datetime(2026, 12, 2, 9, 0)
    app3.close()


def test_jobs_stored_under_the_old_package_name_keep_their_missed_run(tmp_path: Path, database_url: str) -> None:
    """A deployment upgraded across the rename of bot/scheduling/ to bot/jobs/: its stored jobs name the
    old callable; they are renamed, not dropped, so a push missed during the upgrade is still sent."""
    import pickle

    from sqlalchemy import create_engine, text

    clock = ManualClock(MONDAY)
    plan = write_plan(tmp_path, WEEKLY)
    app, _ = started(tmp_path, clock, plan, db=database_url)
    app.handle(group_msg("张三", "帮助", at=clock.now()))
    app.close()
    engine = create_engine(database_url)
    with engine.begin() as conn:
        for job_id, blob in conn.execute(text("SELECT id, job_state FROM apscheduler_jobs")).all():
            state = pickle.loads(blob)
            state["func"] = "bot.scheduling.jobs:run_job"
            conn.execute(text("UPDATE apscheduler_jobs SET job_state = :state WHERE id = :id"),
                         {"state": pickle.dumps(state), "id": job_id})
    engine.dispose()
    clock.set(datetime(2026, 11, 23, 10, 0))  # the 09:00 push was missed while upgrading
    app2, channel = started(tmp_path, clock, plan, db=database_url)
    assert [m.text.splitlines()[0] for m in channel.sent] == ["📖 南湖红船与红船精神"]
    assert dict(app2.schedule.jobs.jobs("plan:"))["plan:plan#周一学习"] == datetime(2026, 11, 30, 9, 0)
    app2.close()


def test_a_plans_contest_starts_on_time_and_its_results_are_pushed(tmp_path: Path, database_url: str) -> None:
    clock = ManualClock(datetime(2026, 11, 27, 15, 0))  # a Friday
    plan = write_plan(tmp_path, "plans:\n  - name: 周五竞赛\n    when: 每周五 16:00\n    to: [第一党支部]\n"
                                "    contest: {bank: 测试题库, questions: 2, time_limit: 20}\n")
    app, channel = started(tmp_path, clock, plan, db=database_url)
    app.handle(group_msg("张三", "帮助", at=clock.now()))
    advance(app, clock, timedelta(hours=1, minutes=2))
    texts = channel.texts
    assert texts[0].startswith("📣 学习计划 发起了知识竞赛：测试题库，共 2 题"), texts[0]
    assert any("第 1/2 题" in t for t in texts) and any("竞赛结束" in t for t in texts[-2:]), texts[-2:]
    app.close()


def test_a_bad_plan_file_names_file_line_and_problem_and_the_good_entries_load(tmp_path: Path,
                                                                               database_url: str) -> None:
    plan = write_plan(tmp_path, "plans:\n"
                                "  - name: 好\n    when: 每周一 09:00\n    to: [第一党支部]\n"
                                "    items: [02-sanhui-yike]\n"
                                "  - name: 坏时间\n    when: 每周八 09:00\n    to: [第一党支部]\n"
                                "    items: [02-sanhui-yike]\n"
                                "  - name: 坏资料\n    when: 每周二 09:00\n    to: [第一党支部]\n"
                                "    items: [没有这篇]\n"
                                "  - name: 拼错\n    wen: 每周二 09:00\n")
    app, _ = started(tmp_path, ManualClock(MONDAY), plan, db=database_url)
    problems = [p for p in app.schedule.problems if "学习计划" in p]
    assert problems == [
        f"学习计划有误：{plan} 第 6 行：第 2 项计划：看不懂时间「每周八 09:00」：星期应为一到日",
        f"学习计划有误：{plan} 第 10 行：第 3 项计划：学习资料库中没有「没有这篇」",
        f"学习计划有误：{plan} 第 14 行：第 4 项计划：不认识的键 wen"
        "（可用：contest, folder, items, name, shift, to, when）",
    ], problems
    assert [job for job, _ in app.schedule.jobs.jobs("plan:")] == ["plan:plan#好"]
    app.close()


def test_to_all_is_only_for_a_contest_and_stands_alone(tmp_path: Path, database_url: str) -> None:
    plan = write_plan(tmp_path, "plans:\n"
                                "  - name: 全委\n    when: 每周一 10:00\n    to: all\n"
                                "    contest: {bank: 测试题库, questions: 2}\n"
                                "  - name: 推送\n    when: 每周一 09:00\n    to: all\n"
                                "    items: [02-sanhui-yike]\n"
                                "  - name: 混写\n    when: 每周二 10:00\n    to: [all, 第一党支部]\n"
                                "    contest: {bank: 测试题库}\n")
    app, _ = started(tmp_path, ManualClock(MONDAY), plan, db=database_url)
    problems = [p for p in app.schedule.problems if "学习计划" in p]
    assert problems == [
        f"学习计划有误：{plan} 第 6 行：第 2 项计划：to: all 只用于全委竞赛（contest）；学习推送请写支部名或群名",
        f"学习计划有误：{plan} 第 10 行：第 3 项计划：to: all 表示全部群，不能再与其他支部或群一起写",
    ], problems
    assert [job for job, _ in app.schedule.jobs.jobs("plan:")] == ["plan:plan#全委"]
    app.close()


def test_the_service_runs_jobs_with_apscheduler_and_sends_through_the_outbox(tmp_path: Path, database_url: str) -> None:
    """The real AsyncIOScheduler and the async outbox worker, on the wall clock."""
    from apscheduler.triggers.date import DateTrigger

    from bot.clock import SHANGHAI
    from bot.jobs.book import JobSpec

    class Waiting(RecordingChannel):
        def __init__(self) -> None:
            super().__init__()
            self.got = asyncio.Event()

        def send(self, message: Outgoing) -> None:
            super().send(message)
            self.got.set()

    async def scenario() -> None:
        app = make_app(tmp_path, SystemClock(), database={"url": database_url})
        channel = Waiting()
        app.add_channel(channel)
        app.start()
        app.handle(group_msg("张三", "帮助", at=app.clock.now()))
        with app.db.session() as session:
            from bot.storage.models import ScheduledPush

            row = ScheduledPush(branch_id=1, item_id="02-sanhui-yike", when_text="x", created_at=app.clock.now())
            session.add(row)
            session.commit()
        soon = datetime.now(SHANGHAI) + timedelta(seconds=0.5)
        app.schedule.jobs.start()
        app.schedule.jobs.put(JobSpec(f"push:{row.id}", "push", str(row.id), DateTrigger(run_date=soon),
                                      timedelta(minutes=5)))
        stop = asyncio.Event()
        worker = asyncio.create_task(app.schedule.outbox.run(stop))
        await asyncio.wait_for(channel.got.wait(), 15)  # due in half a second of wall time
        stop.set()
        await worker
        app.close()
        assert [m.text.splitlines()[0] for m in channel.sent] == ["📖 三会一课制度要点"]

    asyncio.run(scenario())


def test_meetings_from_a_yaml_file_are_added_changed_and_cancelled_with_announcements(tmp_path: Path,
                                                                                      database_url: str) -> None:
    clock = ManualClock(datetime(2026, 11, 23, 8, 0))
    path = tmp_path / "meetings.yaml"
    path.write_text("meetings:\n  - key: 12月支委会\n    branch: 第一党支部\n    type: 支委会\n"
                    "    start: 2026-12-01 14:30\n    place: 三楼会议室\n    topic: 学习二十大精神\n"
                    "  - branch: 第一党支部\n    type: 党课\n    start: 2026-12-03 15:00\n"
                    "  - branch: 第一党支部\n    type: 茶话会\n    start: 2026-12-04 15:00\n", encoding="utf-8")
    app, channel = started(tmp_path, clock, db=database_url, meetings={"files": [str(path)]})
    app.handle(group_msg("张三", "帮助", at=clock.now()))
    app.schedule.reconcile()  # the group is known now: announcements reach it
    from bot.storage.models import MeetingRow

    with app.db.session() as session:
        rows = list(session.exec(select(MeetingRow).order_by(MeetingRow.id)))
    assert [(r.type_key, r.start_at, r.source) for r in rows] == [
        ("committee", datetime(2026, 12, 1, 14, 30), "yaml:meetings.yaml:12月支委会"),
        ("lecture", datetime(2026, 12, 3, 15, 0), "yaml:meetings.yaml:2")]
    assert any("未知的会议类型「茶话会」" in p for p in app.schedule.meeting_problems)
    assert len([j for j, _ in app.schedule.jobs.jobs("remind:")]) == 6

    text = path.read_text(encoding="utf-8").replace("2026-12-01 14:30", "2026-12-02 09:30")
    path.write_text(text[: text.index("  - branch: 第一党支部\n    type: 党课")], encoding="utf-8")
    app.schedule.reconcile()
    advance(app, clock, timedelta(minutes=1))
    said = channel.texts
    changed = [t for t in said if "支部委员会会议" in t and "12月2日" in t and "12月1日" in t]
    assert changed, said
    assert any(t.startswith("❌ 会议取消") and "党课" in t for t in said), said
    reminders = dict(app.schedule.jobs.jobs("remind:"))
    assert reminders[f"remind:{rows[0].id}:3600"] == datetime(2026, 12, 2, 8, 30)
    assert not any(job.startswith(f"remind:{rows[1].id}:") for job in reminders)
    app.close()


def test_an_outbox_push_to_a_wecom_group_is_confirmed_by_its_webhook_or_retried(tmp_path: Path,
                                                                                database_url: str) -> None:
    from fakes.wecom_api import FakeWeComAPI

    from bot.channels.registry import add_platform_channels

    good, stale = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
    with FakeWeComAPI(webhook_keys={good}) as api:
        async def scenario() -> None:
            clock = ManualClock(MONDAY)
            app = make_app(tmp_path, clock, database={"url": database_url}, wecom={"api_base_url": api.url,
                                                    "webhooks": {"第一党支部": good, "旧群": stale}})
            channels = add_platform_channels(app)
            app.start(service=True)
            for channel in channels:
                await channel.start()
            now = clock.now()
            with app.db.session() as session:
                enqueue(session=session, now=now, pushes=[
                    Push(key=f"p:{name}", kind="study", channel="wecom", chat_id=f"wr-{name}", chat_name=name,
                         is_group=True, text=f"📖 推送给{name}", due_at=now) for name in ("第一党支部", "旧群")])
                session.commit()
            await app.schedule.outbox.run_once()
            for channel in channels:
                await channel.stop()
            rows = {r.chat_name: r for r in outbox(app)}
            app.close()
            assert rows["第一党支部"].status == "sent"
            assert (rows["旧群"].status, rows["旧群"].attempts) == ("pending", 1)  # retried later, not marked sent
            assert "errcode 93000" in rows["旧群"].last_error
            [sent] = [r for r in api.received() if r.query.get("key") == good]
            assert sent.body["markdown"]["content"] == "📖 推送给第一党支部"

        asyncio.run(asyncio.wait_for(scenario(), 30))


def test_a_meeting_arranged_for_tomorrow_gets_no_three_day_reminder_and_a_missed_one_hour_reminder_still_goes(
        tmp_path: Path, database_url: str) -> None:
    clock = ManualClock(datetime(2026, 11, 30, 9, 0))
    app, channel = started(tmp_path, clock, db=database_url)
    app.handle(group_msg("张三", "帮助", at=clock.now()))
    meetings = app.schedule.meetings
    with app.db.session() as session:
        row = meetings.add(session, branch_id=1, draft=meetings.parse("支委会 2026-12-01 14:30 三楼会议室"), by="测试")
        session.commit()
    meetings.activate(row.id)
    assert sorted(j for j, _ in app.schedule.jobs.jobs("remind:")) == [f"remind:{row.id}:3600",
                                                                       f"remind:{row.id}:86400"]
    app.schedule.reconcile()  # a restart's reconcile adds no past reminder either
    assert len(app.schedule.jobs.jobs("remind:")) == 2
    app.close()
    clock.set(datetime(2026, 12, 1, 13, 45))  # down from before 13:30 until 13:45: the 1-hour reminder is 15 min late
    app2, channel2 = started(tmp_path, clock, db=database_url)
    texts = [t for t in channel2.texts if t.startswith("⏰ 会议提醒")]
    assert len(texts) == 1 and "还有 1 小时" in texts[0]  # within its 30-minute grace; the 1-day one was long past
    app2.close()


def test_pushes_for_a_channel_this_process_does_not_run_stay_pending_for_the_one_that_does(tmp_path: Path,
                                                                                           database_url: str) -> None:
    clock = ManualClock(MONDAY)
    app, channel = started(tmp_path, clock, db=database_url)  # the local chat only, on a database the service also uses
    now = clock.now()
    with app.db.session() as session:
        enqueue(session=session, now=now, pushes=[Push(key="wecom:1", kind="study", channel="wecom", chat_id="wr1",
                                                       chat_name="学习群", is_group=True, text="📖", due_at=now)])
        session.commit()
    advance(app, clock, timedelta(days=3))
    [row] = outbox(app)
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "")
    assert app.schedule.outbox.next_due() is None or app.schedule.outbox.next_due() > now
    app.close()
