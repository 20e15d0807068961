"""Issue 14: command-line usage errors and help pages are Chinese (typer stays the parser; bot/cli/chinese.py words
what it reports), exit 2, and every command, present or added later, gets the Chinese classes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.cli.chinese import ChineseCommand, ChineseGroup, chinese
from bot.cli.helpformat import display_width, wrap

runner = CliRunner()
ENGLISH = re.compile(r"Usage:|Error|Try '|Options:|Arguments:|Commands:|Show this message|\[default|\[required|"
                     r"No such|Missing|Invalid value|Did you mean|<str>|<int|<path>|\{[A-Z]+\}")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_config_env) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str):
    return runner.invoke(build_cli(), list(args), prog_name="studybot", terminal_width=200)


@pytest.mark.parametrize(("args", "first", "usage"), [
    (["rank", "--seed", "abc"], "没有选项 --seed", "studybot rank [选项]"),
    (["chat", "--sed", "1"], "没有选项 --sed；是否想用 --as、--seed？", "studybot chat [选项]"),
    (["bank", "stats", "--limit", "0", "x"], "--limit 不能小于 1，实为 0", "studybot bank stats [选项] NAME"),
    (["nosuch"], "没有命令「nosuch」。可用的命令：init、chat、run、doctor、rank、reload、bank、contest、members、"
                 "points、push、meetings、web、db", "studybot [选项] 命令 [参数]..."),
    (["rnak"], "没有命令「rnak」；是否想用 rank？", "studybot [选项] 命令 [参数]..."),
    (["bank", "lst"], "没有命令「lst」；是否想用 list？", "studybot bank [选项] 命令 [参数]..."),
    (["push", "list"], "缺少选项 --branch / -b（支部名称）", "studybot push list [选项]"),
    (["bank", "stats"], "缺少参数 NAME（题库名）", "studybot bank stats [选项] NAME"),
    (["rank", "--limit", "abc"], "--limit 应为整数，实为「abc」", "studybot rank [选项]"),
    (["chat", "--seed", "abc"], "--seed 应为整数，实为「abc」", "studybot chat [选项]"),
    (["bank", "list", "--format", "xml"], "--format 应为 table、json 之一，实为「xml」", "studybot bank list [选项]"),
    (["init", "a", "b"], "多余的参数：b（含空格的值请加引号）", "studybot init [选项] [PATH]"),
    (["init", "--force=yes"], "选项 --force 不带值，只写 --force 即可", "studybot init [选项] [PATH]"),
    (["rank", "--limit"], "选项 --limit 后面缺少值", "studybot rank [选项]"),
    (["--bogus"], "没有选项 --bogus；是否想用 --verbose？", "studybot [选项] 命令 [参数]..."),
    (["bank", "--config", "x"], "没有选项 --config", "studybot bank [选项] 命令 [参数]..."),
])
def test_usage_errors_are_chinese_and_exit_2(args: list[str], first: str, usage: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == first
    assert lines[1] == f"用法：{usage}"
    assert lines[2] == f"查看帮助：{usage.split(' [')[0]} --help"
    assert len(lines) == 3 and not ENGLISH.search(result.stderr), result.stderr


def test_a_group_without_its_command_shows_its_help_in_chinese() -> None:
    result = invoke("bank")
    assert result.exit_code == 2
    assert result.stderr.startswith("用法：studybot bank [选项] 命令 [参数]...\n")
    assert "命令：\n  check" in result.stderr and not ENGLISH.search(result.stderr)


def every_command(group=None, path=()):
    """(path, click command) of every command and group under `group` (the whole studybot by default)."""
    group = group or get_command(build_cli())
    yield path, group
    for name, command in getattr(group, "commands", {}).items():
        yield from every_command(command, (*path, name))


@pytest.mark.parametrize("path", [p for p, _ in every_command()], ids=lambda p: " ".join(p) or "studybot")
def test_every_help_page_is_chinese(path: tuple[str, ...]) -> None:
    result = invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"用法：{' '.join(('studybot', *path))} [选项]")
    assert "选项：\n" in result.stdout and "--help" in result.stdout and "显示本帮助并退出" in result.stdout
    assert not ENGLISH.search(result.stdout), result.stdout


def test_help_notes_defaults_limits_and_required_in_chinese() -> None:
    text = invoke("bank", "stats", "--help").stdout
    assert "参数：\n  NAME <文本>  题库名 [必填]\n" in text
    assert "--limit <整数>        列出多少道 [默认：20；至少 1]\n" in text


def test_every_command_and_group_is_chinese() -> None:
    for path, command in every_command():
        expected = ChineseGroup if getattr(command, "commands", None) is not None else ChineseCommand
        assert isinstance(command, expected), path


def test_a_command_added_later_is_chinese_too() -> None:
    app = typer.Typer()
    sub = typer.Typer()

    @sub.command()
    def later(count: int = 1) -> None:
        """以后加的命令。"""

    @app.command()
    def other() -> None:
        """另一个。"""

    app.add_typer(sub, name="sub")
    result = runner.invoke(chinese(app), ["sub", "later", "--count", "x"], prog_name="studybot")
    assert (result.exit_code, result.stderr.splitlines()[0]) == (2, "--count 应为整数，实为「x」")


def test_help_lines_keep_to_the_terminal_in_display_columns() -> None:
    text = runner.invoke(build_cli(), ["doctor", "--help"], prog_name="studybot", terminal_width=60).stdout
    assert max(display_width(line) for line in text.splitlines()) <= 60
    assert wrap("一二三四五，六七", 10) == ["一二三四五，", "六七"]  # no line starts with closing punctuation
