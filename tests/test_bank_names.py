"""Names that could become paths, and banks that hide each other (issue 14): bank, branch and group names are held
to one rule (safeio/names.py), `bank export` writes its default file only inside the current folder, a group
title that breaks the rule still gets its messages answered under a cleaned branch name, and an imported bank
that a bank file of the same name hides is said so in Chinese (bank list, 题库, doctor, the start of run)."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path

import pytest
from helpers import group_msg, texts
from sqlmodel import select
from typer.testing import CliRunner

from bot.app import build_app
from bot.cli import build_cli
from bot.clock import ManualClock
from bot.services.bank_import import import_bank
from bot.settings import ConfigError, load_settings
from bot.storage.db import Database
from bot.storage.models import Branch
from quizzes.bank_io import read_bank
from safeio.names import MAX_NAME_CHARS, clean_name, name_problem

runner = CliRunner()
NOW = datetime(2026, 3, 4, 10, 0)
BUNDLED = ["党建基础知识", "二十届三中四中全会与党纪学习教育"]  # the banks in quizzes/banks, the basic one first
BANK_CSV = "题型,题干,答案\n判断,党员有退党的自由。,对\n判断,党的最高领导机关是党的全国代表大会。,对\n"
ONE_QUESTION = "questions:\n  - {type: judge, question: 对吗？, answer: 对}\n"


@pytest.fixture(autouse=True)
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_config_env) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "studybot.yaml").write_text(f"database:\n  url: sqlite:///{tmp_path / 't.db'}\n", encoding="utf-8")
    (tmp_path / "q.csv").write_text(BANK_CSV, encoding="utf-8")
    db = Database(f"sqlite:///{tmp_path / 't.db'}")  # commands that only read need the database to exist
    db.create_schema()
    db.dispose()
    return tmp_path


def run(*args: str):
    return runner.invoke(build_cli(), list(args))


def bank_names() -> list[str]:
    return [b["name"] for b in json.loads(run("bank", "list", "--format", "json").stdout)]


@pytest.mark.parametrize("name, said", [
    ("../逃逸", "题库名「../逃逸」不能含有「/」或「\\」"),
    ("..\\逃逸", "题库名「..\\逃逸」不能含有「/」或「\\」"),
    ("..", "题库名「..」不能含有「..」，也不能以「.」开头"),
    (".隐藏", "题库名「.隐藏」不能含有「..」，也不能以「.」开头"),
    ("题" * (MAX_NAME_CHARS + 1), f"过长（{MAX_NAME_CHARS + 1} 字，最多 {MAX_NAME_CHARS} 字）"),
    ("第一\u202e题库", "题库名中有不可见的控制字符（U+202E）"),
])
def test_bank_import_refuses_a_name_that_is_no_name(name: str, said: str) -> None:
    result = run("bank", "import", "q.csv", "--name", name)
    assert result.exit_code == 1
    assert said in result.stdout and "请用 --name 另起一个名字" in result.stdout
    assert bank_names() == BUNDLED


def test_the_name_inside_a_yaml_file_is_checked_too(here: Path) -> None:
    (here / "b.yaml").write_text("name: ../../逃逸\n" + ONE_QUESTION, encoding="utf-8")
    result = run("bank", "import", "b.yaml")
    assert result.exit_code == 1 and "题库名「../../逃逸」不能含有「/」或「\\」" in result.stdout
    assert run("bank", "import", "b.yaml", "--name", "支部题库").exit_code == 0  # --name puts it right


def test_a_name_of_forty_characters_is_fine() -> None:
    assert run("bank", "import", "q.csv", "--name", "题" * MAX_NAME_CHARS).exit_code == 0


def test_a_bank_file_in_banks_with_a_path_for_a_name_is_not_loaded(here: Path) -> None:
    (here / "banks").mkdir()
    (here / "banks" / "x.yaml").write_text("name: ../逃逸\n" + ONE_QUESTION, encoding="utf-8")
    result = run("doctor")
    assert "题库名（name）「../逃逸」不能含有「/」或「\\」，已忽略" in result.stderr
    assert bank_names() == BUNDLED


def stored_before_names_were_checked(here: Path, name: str) -> None:
    bank = read_bank(here / "q.csv", "临时").bank
    assert bank is not None
    app = build_app(load_settings(here / "studybot.yaml"))
    app.db.create_schema()
    try:
        import_bank(app.db, dataclasses.replace(bank, name=name), source="q.csv", replace=False, now=NOW)
    finally:
        app.close()


def test_export_of_a_bank_whose_name_is_a_path_writes_nothing_outside(here: Path) -> None:
    stored_before_names_were_checked(here, "../逃逸")
    result = run("bank", "export", "../逃逸")
    assert result.exit_code == 1
    assert result.stderr == "题库名「../逃逸」不能含有「/」或「\\」：请用 --output 指定导出到哪个文件\n"
    assert not (here.parent / "逃逸.xlsx").exists() and not list(here.glob("*.xlsx"))
    chosen = run("bank", "export", "../逃逸", "--output", "逃逸.xlsx")
    assert chosen.exit_code == 0, chosen.output
    assert (here / "逃逸.xlsx").exists()


def test_export_default_file_name_avoids_what_windows_refuses(here: Path) -> None:
    stored_before_names_were_checked(here, "党史:第一期?")
    result = run("bank", "export", "党史:第一期?", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert (here / "党史_第一期_.csv").exists()


# ------------------------------------------------------------------- branch and group names


def test_a_group_title_with_a_path_in_it_becomes_a_cleaned_branch(here: Path) -> None:
    app = build_app(load_settings(here / "studybot.yaml"))
    app.start()
    try:
        replies = texts(app.handle(group_msg("张三", "题库", group="../第一/支部\\x")))
        assert replies and replies[0].startswith("可用的题库")  # the message is answered, not dropped
        long = texts(app.handle(group_msg("李四", "题库", group="支" * 60)))
        assert long and long[0].startswith("可用的题库")
        with app.db.session() as session:
            names = [b.name for b in session.exec(select(Branch).order_by(Branch.id))]
    finally:
        app.close()
    assert names == ["．．／第一／支部＼x", "支" * MAX_NAME_CHARS]


def test_roster_import_refuses_a_branch_name_with_a_path(here: Path) -> None:
    (here / "名册.csv").write_text("姓名,支部\n张三,../第一支部\n李四,第一支部\n", encoding="utf-8")
    result = run("members", "import", "名册.csv")
    assert result.exit_code == 1
    assert "名册.csv 第 2 行：支部名「../第一支部」不能含有「/」或「\\」" in result.stderr


def test_a_config_mapping_a_group_to_a_path_is_refused(here: Path) -> None:
    (here / "bad.yaml").write_text("groups:\n  党员群: ../第一支部\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="groups 中群「党员群」对应的支部名「../第一支部」不能含有"):
        load_settings(here / "bad.yaml")


@pytest.mark.parametrize("title, cleaned", [
    ("第一党支部", "第一党支部"), ("  第一党支部 ", "第一党支部"), ("a/b", "a／b"), ("...", "．．．"),
    (".隐藏", "．隐藏"), ("第一\n党支部", "第一 党支部"), ("\u202e\u202e", "未命名支部"), ("", "未命名支部"),
])
def test_clean_name(title: str, cleaned: str) -> None:
    assert clean_name(title, "未命名支部") == cleaned
    assert name_problem("群名", cleaned) is None


# ------------------------------------------------------------------- a bank file hiding an imported bank


@pytest.fixture
def hidden(here: Path) -> Path:
    assert run("bank", "import", "q.csv", "--name", "支部题库").exit_code == 0
    (here / "banks").mkdir()
    (here / "banks" / "支部.yaml").write_text("name: 支部题库\n" + ONE_QUESTION, encoding="utf-8")
    return here


HIDDEN = "已导入的题库「支部题库」与题库文件 banks/支部.yaml 同名，现在用的是文件中的题库，导入的题目用不到"


def test_bank_list_says_an_imported_bank_is_hidden(hidden: Path) -> None:
    result = run("bank", "list")
    assert result.exit_code == 0 and f"⚠️ {HIDDEN}" in result.stdout
    assert "studybot bank import --name 换个名字重新导入" in result.stdout
    as_json = run("bank", "list", "--format", "json")
    assert HIDDEN in as_json.stderr and json.loads(as_json.stdout)


def test_bank_import_still_refuses_the_name_a_file_holds(hidden: Path) -> None:
    result = run("bank", "import", "q.csv", "--name", "支部题库")
    assert result.exit_code == 1 and "来自题库文件" in result.stderr


def test_the_chat_command_says_it_too(hidden: Path) -> None:
    app = build_app(load_settings(hidden / "studybot.yaml"))
    app.start()
    try:
        reply = texts(app.handle(group_msg("张三", "题库")))[0]
    finally:
        app.close()
    assert "· 支部题库（1 题）" in reply
    assert reply.endswith("注：已导入的题库「支部题库」与题库文件同名，暂时用不了，请管理员处理。")


def test_doctor_warns_about_it(hidden: Path) -> None:
    result = run("doctor")
    assert f"⚠️ {HIDDEN}" in result.stderr
    assert "⚠️ 题库：3 个可用，1 个已导入的题库与题库文件同名而用不到（见上方提示）" in result.stdout
    assert result.exit_code == 0  # a warning, not a failure


def test_a_meeting_file_naming_a_path_for_its_branch_is_refused(here: Path) -> None:
    config = here / "studybot.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "meetings:\n  files: [会议.yaml]\n", encoding="utf-8")
    (here / "会议.yaml").write_text("- {branch: ../第一支部, type: 支委会, start: 2026-12-01 14:30}\n",
                                  encoding="utf-8")
    app = build_app(load_settings(config), clock=ManualClock(NOW))
    app.start()
    try:
        said = "会议计划有误：会议.yaml 第 1 行：第 1 项：支部名「../第一支部」不能含有「/」或「\\」"
        assert app.schedule.meeting_problems == [said]
        with app.db.session() as session:
            assert session.exec(select(Branch)).all() == []
    finally:
        app.close()
