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
