"""Issue 14: commands that only read (or change what an organisation already has) refuse a SQLite database that
does not exist, creating neither its folder nor the file; `run`, `chat` and the imports create it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.cli.dbfile import missing_database

runner = CliRunner()

READERS = [["doctor"], ["rank"], ["rank", "--by", "branch", "--format", "json"], ["bank", "list"],
           ["bank", "stats", "党建基础知识"], ["bank", "export", "党建基础知识"], ["members", "list"],
           ["meetings", "report"], ["meetings", "list", "-b", "第一党支部"],
           ["meetings", "add", "支委会", "2026-12-01", "14:30", "-b", "第一党支部"], ["meetings", "cancel", "1"],
           ["push", "list", "-b", "第一党支部"], ["push", "add", "党章", "每周一 09:00", "-b", "第一党支部"],
           ["push", "cancel", "1"], ["contest", "start", "--all-groups"], ["reload"]]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_config_env) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str, input: str | None = None):
    return runner.invoke(build_cli(), list(args), prog_name="studybot", input=input)


def refused(result, database: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [
        f"数据库文件 {database} 不存在（database.url）。请先运行 studybot run 或 studybot chat 创建，或检查路径"]
    assert result.stdout == ""


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_a_mistyped_database_path_is_refused_and_nothing_is_created(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "studybot.yaml").write_text("database:\n  url: sqlite:///dta/studybot.db\n", encoding="utf-8")
    refused(invoke(*command), "dta/studybot.db")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["studybot.yaml"]


@pytest.mark.parametrize("command", [["doctor"], ["rank"], ["bank", "list"]], ids=" ".join)
def test_without_a_config_the_default_database_must_exist_too(tmp_path: Path, command: list[str]) -> None:
    refused(invoke(*command), "data/studybot.db")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_database_is_read(tmp_path: Path) -> None:
    assert invoke("chat", input="/exit\n").exit_code == 0  # the first chat creates data/studybot.db
    assert (tmp_path / "data" / "studybot.db").is_file()
    ranked = invoke("rank")
    assert ranked.exit_code == 0 and "暂无积分记录" in ranked.stdout


@pytest.mark.parametrize(("command", "file", "content"), [
    (["members", "import"], "名册.csv", "姓名,支部\n张三,第一党支部\n"),
    (["bank", "import"], "党章.yaml", "name: 党章\nquestions:\n  - {type: judge, question: 党员有退党, answer: 对}\n"),
], ids=["members", "bank"])
def test_a_first_import_creates_the_database(tmp_path: Path, command: list[str], file: str, content: str) -> None:
    """README: a roster imported in a new directory (before the first run) goes into a new database."""
    (tmp_path / file).write_text(content, encoding="utf-8")
    result = invoke(*command, file)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "studybot.db").is_file()


@pytest.mark.parametrize("url", ["postgresql+psycopg://studybot@db/studybot", "sqlite://", "sqlite:///:memory:",
                                 "not a url"])
def test_only_a_sqlite_file_is_checked(url: str) -> None:
    """PostgreSQL says itself whether the database exists; memory has no file; a bad URL is for opening to word."""
    assert missing_database(url) is None
