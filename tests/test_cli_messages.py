"""What the command line says beside its output (issue 14, "Messages and logs"): the log in Beijing time and only
with -v, what the admin must fix told once as a ⚠️ line, and only by the commands it concerns."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import build_cli
from bot.cli.common import CliContext
from bot.clock import SHANGHAI, ManualClock

runner = CliRunner()
DECEMBER = datetime(2026, 12, 6, 15, 43)  # chinese-calendar has no 2027 yet: the calendar warns
HOLIDAYS = "节假日数据不含 2027 年"


def script(tmp_path: Path) -> Path:
    path = tmp_path / "a.chat"
    path.write_text("张三: 帮助\n~ 1m\n!restart\n张三: 推送计划\n!restart\n张三: 积分\n", encoding="utf-8")
    return path


def test_the_missing_holiday_data_is_one_warning_line_not_a_log_line_at_each_start(tmp_path, cli_config):
    result = runner.invoke(build_cli(), ["chat", "--script", str(script(tmp_path)), "--start", "2026-12-06 15:43"])
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if HOLIDAYS in line]
    assert len(warned) == 1 and warned[0].startswith(f"⚠️ {HOLIDAYS}"), result.stderr
    assert "WARNING" not in result.stderr and "bot.app" not in result.stderr
    assert HOLIDAYS not in result.stdout
    assert "2026-12-06 15:43:00 [默认群] 张三: 帮助" in result.stdout


def test_verbose_shows_the_log_in_beijing_time_with_its_zone(tmp_path, cli_config):
    result = runner.invoke(build_cli(), ["-v", "chat", "--script", str(script(tmp_path)),
                                         "--start", "2026-12-06 15:43"])
    assert result.exit_code == 0, result.output
    logged = [line for line in result.stderr.splitlines() if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}", line)]
    assert logged, result.stderr
    assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}\+08:00 (INFO|WARNING|ERROR) ", line) for line in logged)
    first = datetime.strptime(logged[0][:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
    assert abs((datetime.now(SHANGHAI) - first).total_seconds()) < 600  # the wall clock in Beijing, not UTC
    assert any(f"INFO bot.app: {HOLIDAYS}" in line for line in logged)
    # the command's own -v after its name does the same
    again = runner.invoke(build_cli(), ["chat", "-v", "--script", str(script(tmp_path)), "--start", "2026-12-06 15:43"])
    assert any("+08:00 INFO bot.app: " in line for line in again.stderr.splitlines())


def test_log_times_are_beijing_time_whatever_the_machine_zone():
    from bot.cli.logs import ShanghaiFormatter

    record = logging.LogRecord("bot.app", logging.WARNING, __file__, 1, "节假日", None, None)
    record.created = datetime(2026, 12, 6, 7, 43, 42, 495000, tzinfo=SHANGHAI).timestamp() + 8 * 3600
    record.msecs = 495
    line = ShanghaiFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s").format(record)
    assert line == "2026-12-06 15:43:42,495+08:00 WARNING bot.app: 节假日"


def test_a_command_the_calendar_does_not_concern_does_not_warn_about_it(cli_config):
    result = runner.invoke(build_cli(), ["rank", "--config", str(cli_config)], obj=CliContext(ManualClock(DECEMBER)))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


# ----- doctor: ✅, ⚠️ for what works but should be known, ❌ for problems (exit 1) -----

def doctor(config: Path, text: str, on: datetime = datetime(2026, 3, 2, 9, 0)):
    config.write_text(config.read_text(encoding="utf-8") + text, encoding="utf-8")
    return runner.invoke(build_cli(), ["doctor", "--config", str(config)], obj=CliContext(ManualClock(on)))


def line_of(result, what: str) -> str:
    return next((line for line in result.stdout.splitlines() if what in line), f"no line with {what}: {result.stdout}")


def test_doctor_warns_about_next_years_missing_holiday_data_without_failing(cli_config):
    result = doctor(cli_config, "", on=DECEMBER)
    assert line_of(result, "工作日历").startswith(f"⚠️ 工作日历：{HOLIDAYS}")
    assert result.exit_code == 0, result.output
    covered = runner.invoke(build_cli(), ["doctor"], obj=CliContext(ManualClock(datetime(2025, 3, 3, 9, 0))))
    assert line_of(covered, "工作日历") == "✅ 工作日历：chinese-calendar 覆盖今明两年"


def test_doctor_finds_a_bad_date_and_an_unknown_type_in_the_meeting_files(cli_config, tmp_path):
    meetings = tmp_path / "meetings.yaml"
    meetings.write_text("meetings:\n"
                        "  - branch: 第一党支部\n    type: 支委会\n    start: 2026-12-01 14:30\n"
                        "  - branch: 第一党支部\n    type: 茶话会\n    start: 2026-12-04 15:00\n"
                        "  - branch: 第一党支部\n    type: 党课\n    start: 2026-02-30 15:00\n", encoding="utf-8")
    result = doctor(cli_config, f"meetings:\n  files: [{meetings}]\n")
    assert line_of(result, "会议计划") == "❌ 会议计划（meetings.files）：1 个文件，2 处问题（见上方提示）"
    told = [line for line in result.stderr.splitlines() if line.startswith("会议计划有误")]
    assert told[0].startswith(f"会议计划有误：{meetings} 第 5 行：第 2 项：未知的会议类型「茶话会」"), told
    assert told[1].startswith(f"会议计划有误：{meetings} 第 8 行：第 3 项："), told
    assert len(told) == 2
    assert result.exit_code == 1
    from sqlmodel import select

    from bot.storage.db import Database
    from bot.storage.models import MeetingRow

    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    with db.session() as session:
        assert list(session.exec(select(MeetingRow))) == []  # doctor only looks
    db.dispose()


def plan(tmp_path: Path, *targets: str) -> str:
    path = tmp_path / "plan.yaml"
    path.write_text("plans:\n  - name: 周一学习\n    when: 每周一 09:00\n"
                    f"    to: [{', '.join(targets)}]\n    items: [02-sanhui-yike]\n", encoding="utf-8")
    return f"content:\n  plans: [{path}]\n"


def test_doctor_fails_on_a_plan_target_it_knows_nowhere(cli_config, tmp_path):
    result = doctor(cli_config, plan(tmp_path, "第九党支部"))
    assert line_of(result, "推送对象").startswith("❌ 学习计划的推送对象：不认识「第九党支部」"), result.stdout
    assert line_of(result, "学习计划：") == "✅ 学习计划：1 项"
    assert result.exit_code == 1


def test_doctor_warns_about_a_plan_target_branch_whose_group_has_not_written_yet(cli_config, tmp_path):
    result = doctor(cli_config, plan(tmp_path, "第一党支部") + "groups:\n  学习一群: 第一党支部\n")
    assert line_of(result, "推送对象") == ("⚠️ 学习计划的推送对象：「第一党支部」还没有机器人认识的群，"
                                        "群里有人发过消息后才能推送")
    assert result.exit_code == 0, result.output


# ----- the command line speaks of commands and options, not of what to send in chat -----

def test_push_and_meeting_commands_speak_of_commands_not_of_chat(cli_config, tmp_path):
    from bot.storage.branches import get_or_create_group
    from bot.storage.db import Database

    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    db.create_schema()
    with db.session() as session:
        get_or_create_group(session=session, channel="local", external_id="第一党支部", name="第一党支部",
                            branch_name="第一党支部")
        session.commit()
    db.dispose()

    def run(*args: str):
        return runner.invoke(build_cli(), [*args, "--config", str(cli_config)],
                             obj=CliContext(ManualClock(datetime(2026, 3, 2, 9, 0))))

    said = {
        "cancel 9": run("push", "cancel", "9"), "cancel x": run("push", "cancel", "x"),
        "meeting 9": run("meetings", "cancel", "9"), "meeting x": run("meetings", "cancel", "x"),
        "no item": run("push", "add", "没有这篇", "每周一 09:00", "--branch", "第一党支部"),
        "group in time": run("push", "add", "三会一课制度要点", "每周一 09:00 某群", "--branch", "第一党支部"),
        "added": run("push", "add", "三会一课制度要点", "每周一 09:00", "--branch", "第一党支部"),
        # the time typed without quotes, as in chat: it was 「Got unexpected extra argument(s) (09:00)」
        "unquoted": run("push", "add", "遵义会议", "每周二", "09:00", "--branch", "第一党支部"),
        "meeting": run("meetings", "add", "支委会", "2026-03-10", "14:30", "--branch", "第一党支部"),
        "meeting cancelled": run("meetings", "cancel", "1"),
    }
    for what, result in said.items():
        assert "本支部" not in result.output and "发送「" not in result.output, (what, result.output)
    assert said["cancel 9"].stdout == "没有编号为 9 的推送安排。编号见 studybot push list --branch 支部。\n"
    assert said["cancel 9"].exit_code == 1
    assert said["cancel x"].stdout.startswith("推送编号应为数字，例如：studybot push cancel 3")
    assert said["meeting 9"].stdout == "没有编号为 9 的会议。编号见 studybot meetings list --branch 支部。\n"
    assert said["meeting x"].stdout.startswith("会议编号应为数字，例如：studybot meetings cancel 3")
    assert said["no item"].stderr.startswith("没有找到学习资料「没有这篇」。请写资料的编号或完整标题")
    assert "用法：studybot push add 资料 时间 --branch 支部 [--group 群]" in said["no item"].stderr
    assert said["group in time"].stderr.startswith("没有安排：「某群」不是第一党支部的群。第一党支部的群：第一党支部。"
                                                   "只推送到其中一个群请用 --group 群名"), said["group in time"].stderr
    assert "向第一党支部的群推送《三会一课制度要点》" in said["added"].stdout
    assert said["unquoted"].exit_code == 0 and "每周二 09:00" in said["unquoted"].stdout, said["unquoted"].output
    assert said["meeting cancelled"].stdout.startswith("已取消支部委员会会议（编号 1），并已通知第一党支部的各个群。")
