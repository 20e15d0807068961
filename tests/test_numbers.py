"""Numbers typed in chat and on the command line: ASCII digits (or the full-width digits a Chinese keyboard
types), bounded; anything else that looks like a number (superscripts, other scripts' digits, signs, thirty
digits) gets the command's usage, never the apology and a traceback."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from helpers import T0, TEST_BANK_NAME, group_msg, private_msg, texts
from typer.testing import CliRunner

from bot.app import App
from bot.cli import build_cli
from bot.dispatcher import APOLOGY
from bot.services.numbers import parse_number
from bot.storage.branches import get_or_create_branch
from bot.storage.people import upsert_member

STRANGE = ["²", "¹²", "٣", "①", "-1", "+1", "1.0", "1e3", "3" * 30, "9" * 400, "0x1f", "1_000"]


@pytest.mark.parametrize(("text", "expected"), [
    ("3", 3), ("０３", 3), ("007", 7), ("999999999", 999_999_999), (" 12 ", 12),
    *[(s, None) for s in STRANGE], ("", None), ("1000000000", None), ("3题", None)])
def test_a_number_is_plain_digits_and_bounded(text, expected):
    assert parse_number(text) == expected


def secretary(app: App) -> None:
    with app.db.session() as session:
        branch = get_or_create_branch(session=session, name="第一党支部")
        upsert_member(session=session, name="张三", branch_id=branch.id, role="secretary", identities={"local": "张三"},
                      now=T0)
        session.commit()


def say(app: App, words: str, *, private: bool = False) -> list[str]:
    now = app.clock.now()
    return texts(app.handle(private_msg("张三", words, at=now) if private else group_msg("张三", words, at=now)))


USAGE = {
    "取消会议": "请写要取消的会议编号，例如：取消会议 3（编号见「会议」）",
    "取消推送": "请写要取消的推送编号，例如：取消推送 3（编号见「推送计划」）",
    "修改会议": "格式：修改会议 编号 日期 时间 [地点] [主题]，例如：修改会议 1 2026-12-02 09:30 二楼会议室",
}


@pytest.mark.parametrize("number", STRANGE)
@pytest.mark.parametrize("private", [False, True])
def test_a_strange_number_gets_the_usage_not_the_apology(app: App, caplog, number: str, private: bool) -> None:
    secretary(app)
    assert say(app, "安排会议 支委会 2026-03-10 14:30")[0].startswith("✅ 已安排")
    with caplog.at_level(logging.ERROR):
        assert say(app, f"取消会议 {number}", private=private) == [USAGE["取消会议"]]
        assert say(app, f"取消推送 {number}", private=private) == [USAGE["取消推送"]]
        assert say(app, f"修改会议 {number} 2026-03-11 09:30", private=private) == [USAGE["修改会议"]]
    assert caplog.records == []


def test_full_width_digits_are_the_same_number(app: App) -> None:
    secretary(app)
    say(app, "安排会议 支委会 2026-03-10 14:30")
    assert say(app, "修改会议 １ 2026-03-11 09:30")[0].startswith("✅ 已修改（编号 1）")
    assert say(app, "取消会议 １")[0].startswith("已取消支部委员会会议（编号 1）")


@pytest.mark.parametrize("words", [
    f"开始竞赛 {TEST_BANK_NAME} {'9' * 30}", f"开始竞赛 {TEST_BANK_NAME} 3 {'9' * 30}秒", f"开始竞赛 {'9' * 1999}",
    f"开始竞赛 {TEST_BANK_NAME}{'9' * 1990}", f"开始竞赛 {TEST_BANK_NAME} ²", f"开始竞赛 {TEST_BANK_NAME} ٣"])
def test_a_contest_with_a_strange_count_or_limit_is_not_started_and_says_why(app: App, caplog, words: str) -> None:
    with caplog.at_level(logging.ERROR):
        [reply] = say(app, words)
    assert reply != APOLOGY and caplog.records == []
    assert reply.startswith(("题数应在 1 到 20 之间", "每题限时应在 5 到 600 秒之间", "没有找到题库")), reply


runner = CliRunner()


@pytest.mark.parametrize("number", [s for s in STRANGE if s != "-1"] + ["1" * 5000])  # -1 reads as an option
@pytest.mark.parametrize(("command", "usage"), [  # the command line's words: commands, not what to send in chat
    ("meetings", "会议编号应为数字，例如：studybot meetings cancel 3（编号见 studybot meetings list --branch 支部）"),
    ("push", "推送编号应为数字，例如：studybot push cancel 3（编号见 studybot push list --branch 支部）")])
def test_the_command_line_cancel_takes_only_a_plain_number(cli_config: Path, number, command, usage) -> None:
    result = runner.invoke(build_cli(), [command, "cancel", number, "--config", str(cli_config)])
    assert (result.exit_code, result.output.strip()) == (1, usage)


def test_rank_refuses_a_limit_too_large_for_the_database(cli_config: Path) -> None:
    result = runner.invoke(build_cli(), ["rank", "--limit", "9" * 30, "--config", str(cli_config)])
    assert (result.exit_code, result.output.strip()) == (2, f"--limit 最大为 999999999（0 表示全部），实为 {'9' * 30}")


@pytest.mark.parametrize(("wait", "message"), [
    ("~ 99999999999999d", "第 3 行：时间推进「~ 99999999999999d」太长，一次最多 ~ 3660d"),
    ("~ " + "9" * 5000 + "s", f"第 3 行：时间推进「~ {'9' * 28}…」太长，一次最多 ~ 3660d"),
    ("~ ²s", "第 3 行：无法识别的时间推进「~ ²s」"),
    ("~ ٣s", "第 3 行：无法识别的时间推进「~ ٣s」"),
])
def test_a_script_wait_that_is_no_time_is_refused_naming_the_line(tmp_path: Path, wait: str, message: str) -> None:
    script = tmp_path / "s.chat"
    script.write_text(f"[第一党支部]\n张三: 帮助\n{wait}\n", encoding="utf-8")
    result = runner.invoke(build_cli(), ["chat", "--script", str(script), "--start", "2026-03-02 09:00"])
    assert result.exit_code == 2 and result.exception is None or isinstance(result.exception, SystemExit), result
    assert result.output.startswith(f"{script}: {message}"), result.output


def test_a_script_that_runs_past_the_calendar_stops_naming_the_line(tmp_path: Path) -> None:
    script = tmp_path / "s.chat"
    script.write_text("[第一党支部]\n~ 3000d\n~ 3000d\n张三: 帮助\n", encoding="utf-8")
    result = runner.invoke(build_cli(), ["chat", "--script", str(script), "--start", "9990-01-01 09:00"])
    assert (result.exit_code, result.exception is None or isinstance(result.exception, SystemExit)) == (2, True)
    assert f"{script}: 第 3 行：模拟时间超出了公元 9999 年" in result.output, result.output


# ----- dates too far ahead: a meeting in 9999 made every 签到 of its branch overflow -----

@pytest.mark.parametrize(("words", "reply"), [
    ("安排会议 支委会 9999-12-31 23:59 三楼", "会议时间太远：9999-12-31 23:59，最多安排到两年以内，请检查年份。"),
    ("安排会议 支委会 2028-03-03 09:00", "会议时间太远：2028-03-03 09:00，最多安排到两年以内，请检查年份。"),
    ("安排推送 三会一课制度要点 9999-12-31 09:00",
     "看不懂时间「9999-12-31 09:00」：「9999-12-31 09:00」太远，最多安排到两年以内"),
])
def test_a_date_years_ahead_is_refused_and_signing_in_still_works(app: App, caplog, words: str, reply: str) -> None:
    secretary(app)
    with caplog.at_level(logging.ERROR):
        assert say(app, words)[0].startswith(reply)
        assert say(app, "签到") == ["本支部现在没有需要签到的会议。发送「会议」查看近期安排。"]
    assert caplog.records == []
    assert say(app, "安排会议 支委会 2028-03-01 09:00")[0].startswith("✅ 已安排")  # two years less a day
