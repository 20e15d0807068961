"""Issue 14, "Tracebacks instead of messages": each case prints one Chinese line naming the file or key and exits
non-zero, and the system's reasons (not found, a directory, no permission, disk full, read-only) are Chinese."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.storage.db import Database
from safeio.oserrors import os_reason

runner = CliRunner()

GBK_LINE = ("配置文件 {path} 不是 UTF-8 编码（第 2 行起无法按 UTF-8 读取，可能是用 GBK/ANSI 保存的）："
            "请在编辑器中「另存为」UTF-8 编码后再试")
BANK = "name: 党章\nquestions:\n  - {type: judge, question: 党员有退党的自由。, answer: 对}\n".encode()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_config_env) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str, input: str | None = None):
    return runner.invoke(build_cli(), list(args), prog_name="studybot", input=input)


def one_line(result, code: int) -> str:
    """The only line the command wrote to stderr, after checking the exit code and that no traceback escaped."""
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# ----- studybot init -----

def test_init_into_a_missing_folder_names_the_folder(tmp_path: Path) -> None:
    assert one_line(invoke("init", "missing-dir/x.yaml"), 1) == "无法写入 missing-dir/x.yaml：目录 missing-dir 不存在"
    assert not (tmp_path / "missing-dir").exists()


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_init_onto_a_directory_says_it_is_one_and_leaves_it(tmp_path: Path, force: list[str]) -> None:
    (tmp_path / "d").mkdir()
    assert one_line(invoke("init", "d", *force), 1) == \
        "d 是一个目录，不是文件；请写出文件名，例如 studybot init d/studybot.yaml"
    assert (tmp_path / "d").is_dir() and not any((tmp_path / "d").iterdir())


def test_init_when_banks_is_a_file_says_so_after_writing_the_config(tmp_path: Path) -> None:
    (tmp_path / "banks").write_text("", encoding="utf-8")
    assert one_line(invoke("init"), 1) == "已写出 studybot.yaml，但无法创建 banks/ 目录：已有同名的文件"
    assert (tmp_path / "studybot.yaml").exists()


# ----- writing reports -----

def test_meetings_report_into_a_missing_folder_is_one_chinese_line(tmp_path: Path) -> None:
    config = tmp_path / "studybot.yaml"
    config.write_text(f"database:\n  url: sqlite:///{tmp_path / 't.db'}\n", encoding="utf-8")
    Database(f"sqlite:///{tmp_path / 't.db'}").create_schema()
    result = invoke("meetings", "report", "--format", "xlsx", "--output", "missing-dir/x.xlsx", "-c", str(config))
    assert one_line(result, 1) == "无法写入 missing-dir/x.xlsx：目录 missing-dir 不存在"


# ----- the system's reasons, in Chinese -----

@pytest.mark.parametrize(("error", "writing", "reason"), [
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "a/b.xlsx"), True, "目录 a 不存在"),
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "b.xlsx"), True, "所在的目录不存在"),
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "b.yaml"), False, "文件不存在"),
    (IsADirectoryError(errno.EISDIR, "Is a directory", "d"), False, "这是一个目录，不是文件"),
    (PermissionError(errno.EACCES, "Permission denied", "x"), True, "没有权限"),
    (OSError(errno.ENOSPC, "No space left on device", "x"), True, "磁盘空间已满"),
    (OSError(errno.EROFS, "Read-only file system", "x"), True, "文件系统是只读的"),
    (OSError(errno.ENOTDIR, "Not a directory", "f/x"), True, "路径中有一级不是目录"),
    (OSError(errno.EXDEV, "Invalid cross-device link"), True, "Invalid cross-device link"),  # no wording: as given
])
def test_os_reasons_are_chinese(error: OSError, writing: bool, reason: str) -> None:
    assert os_reason(error, writing=writing) == reason


# ----- files in the wrong encoding, and the wrong kind of path -----

@pytest.mark.parametrize("command", [["push", "list", "-b", "第一党支部"], ["meetings", "report"],
                                     ["meetings", "list", "-b", "第一党支部"], ["contest", "start", "--all-groups"],
                                     ["bank", "stats", "党建基础知识"], ["bank", "export", "党建基础知识"],
                                     ["members", "import", "r.csv"], ["bank", "import", "b.yaml"],
                                     ["chat", "--script", "s.chat"]])
def test_a_gbk_config_stops_the_other_commands_too(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "r.csv").write_text("姓名,支部\n张三,第一党支部\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_bytes(BANK)
    (tmp_path / "s.chat").write_text("[第一党支部]\n张三: 帮助\n", encoding="utf-8")
    config = tmp_path / "studybot.yaml"
    config.write_bytes("bot:\n  name: 党建小助手\n".encode("gbk"))
    assert one_line(invoke(*command), 2) == GBK_LINE.format(path="studybot.yaml")
    assert not (tmp_path / "data").exists()


def test_doctor_with_a_directory_for_config_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    assert one_line(invoke("doctor", "--config", "conf"), 2) == "配置文件 conf 无法读取（这是一个目录，不是文件）"


def test_a_gbk_chat_script_is_one_chinese_line(tmp_path: Path) -> None:
    (tmp_path / "s.chat").write_bytes("[第一党支部]\n张三: 帮助\n".encode("gbk"))
    assert one_line(invoke("chat", "--script", "s.chat"), 2) == (
        "无法读取脚本 s.chat：不是 UTF-8 编码（第 1 行起无法按 UTF-8 读取，可能是用 GBK/ANSI 保存的）："
        "请在编辑器中「另存为」UTF-8 编码后再试")


GBK_BANK = BANK.decode("utf-8").encode("gbk")


def test_a_gbk_bank_is_checked_and_imported_like_a_utf8_one(tmp_path: Path) -> None:
    (tmp_path / "党章.yaml").write_bytes(GBK_BANK)
    checked = invoke("bank", "check", "党章.yaml")
    assert checked.exit_code == 0 and checked.stdout == "题库「党章」：读取 1 道，导入 1 道（判断 1）\n"
    imported = invoke("bank", "import", "党章.yaml")
    assert imported.exit_code == 0, imported.output
    assert "已导入题库「党章」：新增 1 道" in imported.stdout and "codec" not in imported.output


def test_a_gbk_bank_in_the_banks_folder_is_listed(tmp_path: Path) -> None:
    (tmp_path / "banks").mkdir()
    (tmp_path / "banks" / "党章.yaml").write_bytes(GBK_BANK)
    Database("sqlite:///data/studybot.db").create_schema()
    result = invoke("bank", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "codec" not in result.output
    assert any(b["name"] == "党章" and b["questions"] == 1 for b in json.loads(result.stdout))
