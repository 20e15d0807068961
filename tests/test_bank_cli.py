"""`studybot bank check|import|list|export|stats` through the real CLI, and what the bot then asks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import create_database, enrol, group_msg, texts
from typer.testing import CliRunner

from bot.app import build_app
from bot.cli import build_cli
from bot.settings import load_settings

runner = CliRunner()
cli = build_cli()
REAL_BANK = Path(__file__).resolve().parents[2] / "shared" / "data" / "public-banks" / "dangshi-1486.json"

GOOD_CSV = """题型,题干,选项A,选项B,选项C,选项D,答案,解析
单选,党的最高领导机关是（）。,党的全国代表大会和它所产生的中央委员会,中央政治局,中央书记处,中央军事委员会,A,依据党章第十条。
判断,党员有退党的自由。,,,,,对,依据党章第九条。
填空,发展党员工作的总要求是控制总量、优化结构、（）、发挥作用。,,,,,提高质量,
单选,党的最高领导机关是（ ）。,党的全国代表大会和它所产生的中央委员会,中央政治局,中央书记处,中央军事委员会,A,重复的一行
"""
BAD_CSV = """题型,题干,选项A,选项B,答案
单选,第一题（）。,甲,乙,C
判断,,,,对
"""


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_config_env) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "studybot.yaml").write_text(f"database:\n  url: sqlite:///{tmp_path / 't.db'}\n", encoding="utf-8")
    return tmp_path


def run(*args: str):
    return runner.invoke(cli, list(args))


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def test_check_a_clean_file_exits_0_and_imports_nothing(tmp_path):
    result = run("bank", "check", str(write(tmp_path / "q.csv", GOOD_CSV)))
    assert result.exit_code == 0, result.output
    assert "跳过完全重复的题目 1 道" in result.stdout
    assert not (tmp_path / "t.db").exists()


def test_check_lists_every_problem_with_its_row_and_exits_1(tmp_path):
    result = run("bank", "check", str(write(tmp_path / "bad.csv", BAD_CSV)))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any("第 2 行" in line for line in lines) and any("第 3 行" in line for line in lines)
    assert "题库未导入" in lines[-1]


def test_a_file_with_problems_imports_nothing(tmp_path):
    result = run("bank", "import", str(write(tmp_path / "bad.csv", BAD_CSV)))
    assert result.exit_code == 1
    assert not (tmp_path / "t.db").exists()  # refused before the database is opened
    create_database(f"sqlite:///{tmp_path / 't.db'}")  # bank list only reads: the bot has run here
    listed = json.loads(run("bank", "list", "--format", "json").stdout)
    assert [b["name"] for b in listed] == ["党建基础知识", "二十届三中四中全会与党纪学习教育"]  # only the bundled banks


def test_import_then_list_then_play_a_contest_from_it(tmp_path):
    result = run("bank", "import", str(write(tmp_path / "q.csv", GOOD_CSV, "gbk")), "--name", "支部题库")
    assert result.exit_code == 0, result.output
    assert "已导入题库「支部题库」：新增 3 道" in result.stdout
    listed = {b["name"]: b for b in json.loads(run("bank", "list", "--format", "json").stdout)}
    assert listed["支部题库"] | {"source": ""} == {"name": "支部题库", "questions": 3, "single": 1, "multiple": 0,
                                                  "judge": 1, "blank": 1, "source": ""}
    again = run("bank", "import", str(tmp_path / "q.csv"), "--name", "支部题库")
    assert "新增 0 道，题库中已有而跳过 3 道" in again.stdout

    app = build_app(load_settings(tmp_path / "studybot.yaml"))
    app.start()
    try:
        replies = texts(app.handle(group_msg("张三", "开始竞赛 支部题库 3")))
        assert replies[0].startswith("📣 张三 发起了练习赛：支部题库，共 3 题")  # an ordinary member's
    finally:
        app.close()


def test_a_running_bot_sees_a_bank_imported_meanwhile(tmp_path):
    app = build_app(load_settings(tmp_path / "studybot.yaml"))
    app.start()
    try:
        assert "支部题库" not in texts(app.handle(group_msg("张三", "题库")))[0]
        assert run("bank", "import", str(write(tmp_path / "q.csv", GOOD_CSV)), "--name", "支部题库").exit_code == 0
        assert "支部题库（3 题）" in texts(app.handle(group_msg("张三", "题库")))[0]
    finally:
        app.close()


def test_an_imported_bank_cannot_take_the_name_of_a_bank_file(tmp_path):
    result = run("bank", "import", str(write(tmp_path / "q.csv", GOOD_CSV)), "--name", "党建基础知识")
    assert result.exit_code == 1
    assert "来自题库文件" in result.stderr


def test_export_round_trips_through_xlsx_and_yaml(tmp_path):
    run("bank", "import", str(write(tmp_path / "q.csv", GOOD_CSV)), "--name", "支部题库")
    for fmt in ("xlsx", "yaml"):
        exported = run("bank", "export", "支部题库", "--format", fmt, "--output", str(tmp_path / f"out.{fmt}"))
        assert exported.exit_code == 0, exported.output
        check = run("bank", "check", str(tmp_path / f"out.{fmt}"))
        assert check.exit_code == 0 and "导入 3 道" in check.stdout
    assert run("bank", "export", "没有的题库").exit_code == 1


def test_replace_swaps_the_questions(tmp_path):
    run("bank", "import", str(write(tmp_path / "q.csv", GOOD_CSV)), "--name", "支部题库")
    one = "题型,题干,答案\n判断,党员有退党的自由。,对\n"
    result = run("bank", "import", str(write(tmp_path / "one.csv", one)), "--name", "支部题库", "--replace")
    assert "替换为 1 道" in result.stdout
    listed = {b["name"]: b for b in json.loads(run("bank", "list", "--format", "json").stdout)}
    assert listed["支部题库"]["questions"] == 1


def test_stats_list_the_hardest_questions_after_a_contest(tmp_path):
    run("bank", "import", str(write(tmp_path / "q.csv", GOOD_CSV)), "--name", "支部题库")
    app = build_app(load_settings(tmp_path / "studybot.yaml"), seed=1)
    app.start()
    try:
        app.handle(group_msg("张三", "开始竞赛 支部题库 1"))
        question = app.contests.open_question(1)
        app.handle(group_msg("张三", "错" if question.answer == "对" else "不知道" if question.options == ()
                             else next(x for x in "ABCD" if x != question.answer)))
        app.handle(group_msg("张三", "下一题"))  # the starter closes the question at once
    finally:
        app.close()
    result = run("bank", "stats", "支部题库")
    assert result.exit_code == 0, result.output
    assert "0%" in result.stdout and "最难的题目" in result.stdout


@pytest.mark.skipif(not REAL_BANK.exists(), reason="the public bank lives in ../shared")
def test_the_real_1486_question_bank_imports_with_nothing_lost(tmp_path):
    result = run("bank", "import", str(REAL_BANK), "--name", "党史")
    assert result.exit_code == 0, result.output
    assert ("读取 1486 道，跳过完全重复的题目 477 道，导入 1009 道（单选 343，多选 261，判断 214，填空 191）"
            in result.stdout)
    listed = {b["name"]: b for b in json.loads(run("bank", "list", "--format", "json").stdout)}
    assert listed["党史"]["questions"] == 1009


@pytest.mark.skipif(not REAL_BANK.exists(), reason="the public bank lives in ../shared")
def test_a_contest_is_played_from_the_real_bank(tmp_path):
    assert run("bank", "import", str(REAL_BANK), "--name", "党史").exit_code == 0
    app = build_app(load_settings(tmp_path / "studybot.yaml"), seed=7)
    app.start()
    try:
        enrol(app, "张三", "李四")
        replies = texts(app.handle(group_msg("张三", "开始竞赛 党史 5")))
        assert replies[0].startswith("📣 张三 发起了知识竞赛：党史，共 5 题")
        for number in range(1, 6):
            question = app.contests.open_question(1)
            app.handle(group_msg("张三", question.answer))
            [closing] = texts(app.handle(group_msg("李四", question.answer)))  # both on the roster answered
            assert closing.startswith(f"⏰ 第 {number} 题答案：") and "答对 2 人" in closing
        assert "🏆 竞赛结束（党史，共 5 题）" in closing
    finally:
        app.close()
