"""The files the command line writes (issue 14): an existing file (the roster, say) is replaced only with --force,
the format follows the file's extension and a --format that contradicts it is refused, and a write that fails
leaves the old file as it was."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.cli.common import CliContext
from bot.clock import ManualClock
from safeio.files import replace_file

runner = CliRunner()
NOW = datetime(2026, 3, 4, 10, 0)
ROSTER = "姓名,支部\n张三,第一支部\n"
BANK = "题型,题干,答案\n判断,党员有退党的自由。,对\n"

WRITERS = [
    pytest.param(["rank"], id="rank"),
    pytest.param(["rank", "--by", "branch"], id="rank-branch"),
    pytest.param(["meetings", "report"], id="meetings-report"),
    pytest.param(["bank", "export", "党建基础知识"], id="bank-export"),
]


def invoke(config: Path, *args: str):
    return runner.invoke(build_cli(), [*args, "--config", str(config)], obj=CliContext(ManualClock(NOW)))


@pytest.mark.parametrize("command", WRITERS)
@pytest.mark.parametrize("name", ["名册.csv", "名册.xlsx"])
def test_an_existing_file_is_not_replaced_without_force(cli_config: Path, tmp_path: Path, command: list[str],
                                                        name: str) -> None:
    roster = tmp_path / name
    roster.write_text(ROSTER, encoding="utf-8")
    result = invoke(cli_config, *command, "--output", str(roster))
    assert result.exit_code == 1
    assert result.stderr == f"{roster} 已存在；如需覆盖请加 --force\n"
    assert roster.read_text(encoding="utf-8") == ROSTER


@pytest.mark.parametrize("command", WRITERS)
def test_force_replaces_it(cli_config: Path, tmp_path: Path, command: list[str]) -> None:
    old = tmp_path / "旧.xlsx"
    old.write_text("不是表格", encoding="utf-8")
    result = invoke(cli_config, *command, "--output", str(old), "--force")
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(old).active is not None
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary file left


def test_bank_export_to_its_default_file_is_not_replaced_without_force(cli_config: Path, tmp_path: Path) -> None:
    (tmp_path / "党建基础知识.xlsx").write_text("旧的", encoding="utf-8")
    result = invoke(cli_config, "bank", "export", "党建基础知识")
    assert result.exit_code == 1 and "党建基础知识.xlsx 已存在；如需覆盖请加 --force" in result.stderr
    assert (tmp_path / "党建基础知识.xlsx").read_text(encoding="utf-8") == "旧的"
    assert invoke(cli_config, "bank", "export", "党建基础知识", "--force").exit_code == 0


@pytest.mark.parametrize("command", WRITERS)
def test_a_format_the_extension_contradicts_is_refused(cli_config: Path, tmp_path: Path, command: list[str]) -> None:
    out = tmp_path / "排行.xlsx"
    result = invoke(cli_config, *command, "-o" if command[0] != "bank" else "--output", str(out), "--format", "csv")
    assert result.exit_code == 2
    assert "--format csv 与输出文件 排行.xlsx 的扩展名（.xlsx，即 xlsx 格式）不一致" in result.stderr
    assert "或把文件名改为 排行.csv" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("command, refused", [(["rank"], "yaml"), (["meetings", "report"], "yaml"),
                                              (["bank", "export", "党建基础知识"], "json")])
def test_an_extension_naming_a_format_the_command_cannot_write_is_refused(cli_config: Path, tmp_path: Path,
                                                                          command: list[str], refused: str) -> None:
    out = tmp_path / f"结果.{refused}"
    result = invoke(cli_config, *command, "--output", str(out))
    assert result.exit_code == 2 and f"不能写出 {refused} 格式的文件（结果.{refused}）" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("command, suffix, starts", [
    (["rank"], "csv", "\ufeff名次,姓名"), (["rank"], "json", "["),
    (["meetings", "report"], "csv", "\ufeff支部,会议类型"), (["meetings", "report"], "json", "["),
    (["bank", "export", "党建基础知识"], "csv", "\ufeff题型,题干"),
    (["bank", "export", "党建基础知识"], "yaml", "name:"),
])
def test_without_format_the_extension_decides(cli_config: Path, tmp_path: Path, command: list[str], suffix: str,
                                              starts: str) -> None:
    out = tmp_path / f"结果.{suffix}"
    result = invoke(cli_config, *command, "--output", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith(starts)


def test_meetings_report_as_a_table_goes_into_the_file(cli_config: Path, tmp_path: Path) -> None:
    out = tmp_path / "三会一课.txt"
    result = invoke(cli_config, "meetings", "report", "--output", str(out))
    assert result.exit_code == 0 and result.stdout == f"已写入 {out}（0 行）\n"
    assert out.read_text(encoding="utf-8").lstrip().startswith("三会一课开展情况")


def test_init_uses_the_same_rule(cli_config: Path, tmp_path: Path) -> None:
    result = runner.invoke(build_cli(), ["init", str(cli_config)])
    assert result.exit_code == 1 and result.stderr == f"{cli_config} 已存在；如需覆盖请加 --force\n"


def test_an_output_that_is_a_folder_is_refused(cli_config: Path, tmp_path: Path) -> None:
    (tmp_path / "报表").mkdir()
    result = invoke(cli_config, "rank", "--output", str(tmp_path / "报表"), "--force")
    assert result.exit_code == 1 and "是一个文件夹" in result.stderr


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "排行.csv"
    target.write_text("旧内容", encoding="utf-8")

    def half_then_fail(path: Path) -> None:
        path.write_text("写了一半", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        replace_file(target, half_then_fail)
    assert target.read_text(encoding="utf-8") == "旧内容"
    assert [p.name for p in tmp_path.iterdir()] == ["排行.csv"]


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "排行.csv"
    target.write_text("旧内容", encoding="utf-8")
    target.chmod(0o640)
    replace_file(target, lambda path: path.write_text("新内容", encoding="utf-8"))
    assert target.read_text(encoding="utf-8") == "新内容" and target.stat().st_mode & 0o777 == 0o640
