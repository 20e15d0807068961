"""The `studybot` command line: chat --script, init, config errors, exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.settings import Settings, load_settings

runner = CliRunner()
cli = build_cli()
GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_config_env) -> Path:
    """Every command runs in tmp_path: data/studybot.db and studybot.yaml land there, not in the repo."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "studybot.yaml"
    path.write_text(f"database:\n  url: sqlite:///{tmp_path / 't.db'}\n"
                    f"quizzes:\n  bank_dirs: [{GOLDEN / 'banks'}]\n", encoding="utf-8")
    return path


def write(path: Path, content: str) -> Path:
    path.write_text(content, encoding="utf-8")
    return path


def chat(*args: str):
    return runner.invoke(cli, ["chat", *args])


# ----- chat --script -----

def test_chat_script_prints_the_transcript(config: Path):
    """The CLI plays a golden conversation exactly as the in-process golden test does."""
    script = GOLDEN / "contest_full.chat"
    result = chat("--script", str(script), "--start", "2026-03-02 09:00", "--seed", "1", "-c", str(config))
    assert result.exit_code == 0, result.output
    assert result.stdout == (GOLDEN / "contest_full.out").read_text(encoding="utf-8")


def test_chat_script_without_a_config_uses_the_defaults_and_a_scratch_database(tmp_path: Path):
    script = write(tmp_path / "s.chat", "[第一党支部]\n张三: 题库\n")
    result = chat("--script", str(script), "--start", "2026-03-02 09:00")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "2026-03-02 09:00:00 [第一党支部] 张三: 题库"
    assert "党建基础知识" in result.stdout  # the bundled bank
    assert not (tmp_path / "data").exists()  # a script never touches the real database


def test_a_script_replays_identically_and_may_keep_its_database(tmp_path: Path):
    script = write(tmp_path / "s.chat", "[第一党支部]\n张三: 开始竞赛 党建基础知识 1\n张三: A\n张三: 每日一题\n")
    first = chat("--script", str(script), "--start", "2026-03-02 09:00", "--seed", "3")
    second = chat("--script", str(script), "--start", "2026-03-02 09:00", "--seed", "3")
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout
    kept = chat("--script", str(script), "--start", "2026-03-02 09:00", "--seed", "3",
                "--database", f"sqlite:///{tmp_path / 'kept.db'}")
    assert kept.stdout == first.stdout and (tmp_path / "kept.db").exists()


def test_a_script_with_a_bad_line_exits_2_naming_the_line(config: Path, tmp_path: Path):
    script = write(tmp_path / "bad.chat", "# 注释\n[第一党支部]\n张三: 开始竞赛\n这一行不是对话\n~ 30s\n")
    result = chat("--script", str(script), "-c", str(config))
    assert result.exit_code == 2
    assert "第 4 行" in result.stderr and "bad.chat" in result.stderr
    assert result.stdout == ""  # nothing was played


def test_a_bad_wait_line_exits_2_naming_the_line(config: Path, tmp_path: Path):
    script = write(tmp_path / "bad.chat", "张三: 你好\n~ 30 seconds\n")
    result = chat("--script", str(script), "-c", str(config))
    assert result.exit_code == 2
    assert "第 2 行" in result.stderr and "~ 30s" in result.stderr


def test_a_missing_script_exits_2_with_a_clear_message(config: Path, tmp_path: Path):
    result = chat("--script", str(tmp_path / "nowhere.chat"), "-c", str(config))
    assert result.exit_code == 2
    assert "找不到脚本文件" in result.stderr and "nowhere.chat" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("start", ["2026-03-02", "明天上午", "2026-13-02 09:00", "09:00 2026-03-02"])
def test_a_bad_start_time_exits_2(config: Path, start: str):
    result = chat("--script", str(GOLDEN / "daily.chat"), "--start", start, "-c", str(config))
    assert result.exit_code == 2
    assert "--start" in result.stderr and "2026-03-02 09:00" in result.stderr


# ----- configuration errors -----

@pytest.mark.parametrize(("content", "key"), [
    ("quizzes:\n  tme_limit: 20\n", "quizzes.tme_limit"),
    ("quizzes:\n  time_limit: abc\n", "quizzes.time_limit"),
    ("scoring:\n  min_factor: 0.1\n", "scoring.min_factor"),
    ("databse:\n  url: sqlite:///x.db\n", "databse"),
])
def test_an_invalid_config_exits_2_naming_the_key(tmp_path: Path, content: str, key: str):
    config = write(tmp_path / "bad.yaml", content)
    result = chat("--script", str(GOLDEN / "daily.chat"), "--start", "2026-03-02 09:00", "-c", str(config))
    assert result.exit_code == 2
    assert f"  {key}: " in result.stderr
    assert "bad.yaml" in result.stderr
    assert "Traceback" not in result.output


def test_a_config_that_is_not_yaml_exits_2_naming_the_line(tmp_path: Path):
    config = write(tmp_path / "bad.yaml", "bot:\n  name: 学习助手\n quizzes: [\n")
    result = chat("--script", str(GOLDEN / "daily.chat"), "-c", str(config))
    assert result.exit_code == 2
    assert "不是有效的 YAML" in result.stderr


def test_a_missing_config_exits_2(tmp_path: Path):
    result = chat("--script", str(GOLDEN / "daily.chat"), "-c", str(tmp_path / "none.yaml"))
    assert result.exit_code == 2
    assert "找不到配置文件" in result.stderr


# ----- init -----

def _unknown_keys(data: dict, model: type[BaseModel], prefix: str = "") -> list[str]:
    unknown = []
    for key, value in data.items():
        field = model.model_fields.get(key)
        if field is None:
            unknown.append(prefix + key)
        elif isinstance(value, dict) and isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            unknown += _unknown_keys(value, field.annotation, f"{prefix}{key}.")
    return unknown


def test_init_writes_a_config_that_loads_and_names_only_real_settings(tmp_path: Path):
    result = runner.invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "studybot.yaml"
    assert path.exists() and (tmp_path / "banks").is_dir()
    settings = load_settings(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert _unknown_keys(data, Settings) == []
    # every section of the settings is shown, so none is a hidden option; the channels, off by
    # default, are shown commented out
    optional = {name for name, field in Settings.model_fields.items() if field.default is None}
    assert set(data) == set(Settings.model_fields) - optional
    text = path.read_text(encoding="utf-8")
    assert all(f"# {name}:" in text for name in optional)
    for name, field in Settings.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
            assert set(data[name]) == set(field.annotation.model_fields), name
    # "省略时使用括号中的默认值": the values written are the defaults (the group mapping is an example)
    assert settings.model_copy(update={"groups": {}}) == Settings()


def test_init_refuses_to_overwrite_without_force(tmp_path: Path):
    path = write(tmp_path / "studybot.yaml", "bot:\n  name: 我的助手\n")
    result = runner.invoke(cli, ["init"])
    assert result.exit_code != 0
    assert "--force" in result.stderr
    assert path.read_text(encoding="utf-8") == "bot:\n  name: 我的助手\n"

    result = runner.invoke(cli, ["init", "--force"])
    assert result.exit_code == 0, result.output
    assert load_settings(path).bot.name == "学习助手"


def test_init_to_another_path(tmp_path: Path):
    (tmp_path / "conf").mkdir()
    result = runner.invoke(cli, ["init", "conf/bot.yaml"])
    assert result.exit_code == 0, result.output
    assert load_settings(tmp_path / "conf" / "bot.yaml").quizzes.time_limit == 30


# ----- python -m bot -----

def test_python_m_bot_help_lists_the_commands(tmp_path: Path):
    done = subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, text=True, cwd=tmp_path,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, timeout=30)
    assert done.returncode == 0, done.stderr
    commands = {line.split()[0] for line in done.stdout.split("命令：")[1].splitlines() if line.strip()}
    assert {"chat", "init", "run"} <= commands


def test_a_scripts_roster_header_names_a_missing_file_in_one_line(tmp_path: Path):
    script = write(tmp_path / "s.chat", "# roster: 没有的名册.csv\n[第一党支部]\n张三: 题库\n")
    result = chat("--script", str(script), "--start", "2026-03-02 09:00")
    assert result.exit_code == 2 and "没有的名册.csv" in result.output and "Traceback" not in result.output
