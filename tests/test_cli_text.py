"""`studybot chat` refuses what would only look like a conversation: an empty --as, an empty script."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import build_cli

runner = CliRunner()
cli = build_cli()


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_config_env) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", ["", "  ", "\u200b", "\u3000"])
def test_chat_as_an_empty_name_is_a_usage_error(tmp_path: Path, name: str) -> None:
    result = runner.invoke(cli, ["chat", "--as", name], input="积分\n")
    assert result.exit_code == 2
    assert "--as" in result.stderr and "姓名" in result.stderr
    assert "党建积分" not in result.stdout


def test_run_as_an_empty_name_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["run", "--as", ""], input="")
    assert result.exit_code == 2 and "--as" in result.stderr



@pytest.mark.parametrize("content", ["", "\n\n", "# 只有注释\n", "\ufeff"])
def test_an_empty_script_says_it_is_empty(tmp_path: Path, content: str) -> None:
    script = tmp_path / "empty.chat"
    script.write_text(content, encoding="utf-8")
    result = runner.invoke(cli, ["chat", "--script", str(script), "--start", "2026-03-02 09:00"])
    assert result.exit_code == 2
    assert "empty.chat" in result.stderr and "空" in result.stderr


@pytest.mark.parametrize("url", ["mysql://u@localhost/studybot", "mysql+pymysql://u@localhost/db",
                                 "mssql+pyodbc://u@dsn", "oracle://u@h/db"])
def test_an_unsupported_database_is_named_with_the_supported_ones(url: str) -> None:
    from bot.storage.db import Database, DatabaseUnavailable

    with pytest.raises(DatabaseUnavailable) as raised:
        Database(url)
    message = str(raised.value)
    assert "不支持" in message and "SQLite" in message and "PostgreSQL" in message
    assert "pip install" not in message


def test_a_line_typed_in_gbk_is_told_not_sent_and_not_a_traceback(tmp_path: Path) -> None:
    """A terminal set to GBK (Windows' 「ANSI」) sent bytes no command could match, in silence or as a
    UnicodeDecodeError."""
    import asyncio
    import io

    from bot.channels.registry import chat_interactively
    from bot.clock import ManualClock
    from tests.helpers import T0, make_app

    app = make_app(tmp_path, ManualClock(T0))
    typed = io.TextIOWrapper(io.BytesIO("开始竞赛\n".encode("gbk") + "帮助\n".encode()), encoding="utf-8")
    out = io.StringIO()
    asyncio.run(chat_interactively(app, "张三", "第一党支部", typed, out))
    lines = out.getvalue().splitlines()
    assert lines[1] == "这一行不是 UTF-8 编码，没有发送：请把终端的字符编码设为 UTF-8 后再输入。"
    assert "张三: 帮助" in lines[2] and "学习助手: 👋" in lines[3]
    assert "开始竞赛" not in out.getvalue().split("帮助")[0]

