"""The bundled study content (issue 16): both banks load and pass `studybot bank check`, every bundled question has
a 解析 and a 出处, every bundled item a source, and a question's 出处 is what a member sees under the 解析 and what
an export and an import keep."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from before_alembic import forget_alembic
from helpers import T0, enrol, group_msg, make_app, private_msg, texts, write_bank
from sqlalchemy import inspect
from typer.testing import CliRunner

from bot.app import build_app
from bot.cli import build_cli
from bot.clock import ManualClock
from bot.render import reveal_text, verdict_lines
from bot.services.bank_import import import_bank
from bot.settings import load_settings
from bot.storage.banks import load_stored_banks
from bot.storage.db import Database
from content.library import bundled_dir, library_files, load_library
from content.search import search
from quizzes.bank_export import write_csv, write_xlsx, write_yaml
from quizzes.bank_io import read_bank
from quizzes.bank_lint import content_notes
from quizzes.bank_yaml import BUNDLED_BANK_DIR, load_banks
from quizzes.contest import Reveal
from quizzes.model import Bank, Question, QuestionType
from safeio.names import name_problem

SECOND = "二十届三中四中全会与党纪学习教育"
BANK_FILES = sorted(BUNDLED_BANK_DIR.glob("*.yaml"))


@pytest.fixture(scope="module")
def bundled() -> dict[str, Bank]:
    banks, problems = load_banks([BUNDLED_BANK_DIR])
    assert problems == []
    return banks


# --- the banks -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", BANK_FILES, ids=[p.stem for p in BANK_FILES])
def test_each_bundled_bank_passes_bank_check(path: Path) -> None:
    result = CliRunner().invoke(build_cli(), ["bank", "check", str(path)])
    assert result.exit_code == 0, result.output
    read = read_bank(path)
    assert read.problems == [] and read.duplicates_skipped == 0  # no question twice either


def test_every_bundled_question_has_an_explanation_and_a_source(bundled: dict[str, Bank]) -> None:
    assert set(bundled) == {"党建基础知识", SECOND}
    for bank in bundled.values():
        assert content_notes(bank) == []


def test_the_second_bank(bundled: dict[str, Bank]) -> None:
    bank = bundled[SECOND]
    assert len(bank.questions) >= 60
    assert {q.type for q in bank.questions} == set(QuestionType)  # 单选、多选、判断、填空 mixed
    assert name_problem("题库名", bank.name) is None and len(bank.name) <= 40
    assert bank.reviewed == ""  # until a Party-affairs colleague has checked it
    for path in BANK_FILES:
        assert re.search(r"^reviewed:", path.read_text(encoding="utf-8"), re.MULTILINE), path


def test_content_notes_name_what_a_bundled_question_lacks() -> None:
    judge = QuestionType.JUDGE
    bank = Bank("样例", (Question(judge, "甲", "对", source="《中国共产党章程》"),
                       Question(judge, "乙", "对", explanation="解析。"),
                       Question(judge, "丙", "对", explanation="依据党章第十条，…", source="《中国共产党章程》第十条"),
                       Question(judge, "丁", "对", explanation="解析。", source="《中国共产党章程》")))
    assert content_notes(bank) == ["「样例」第 1 题（甲）：没有解析（explanation）",
                                   "「样例」第 2 题（乙）：没有出处（source）",
                                   "「样例」第 3 题（丙）：解析以「依据党章第十条，…」开头，与出处重复；"
                                   "出处只写在 source 中"]


def test_the_default_bank_stays_the_basic_one(tmp_path: Path) -> None:
    """2024-2025.yaml sorts before sample.yaml, yet 开始竞赛 without a bank's name (and no quizzes.default_bank)
    asks from 党建基础知识; 题库 and `bank list` show both, the basic one first."""
    settings = load_settings(Path("/dev/null"), {"database": {"url": f"sqlite:///{tmp_path}/t.db"},
                                                 "quizzes": {"bank_dirs": [], "sample_bank": True}})
    app = build_app(settings, clock=ManualClock(T0))
    try:
        app.db.create_schema()
        assert [b.name for b in app.catalog.banks()] == ["党建基础知识", SECOND]
        picked = app.catalog.pick(None)
        assert picked is not None and picked.name == "党建基础知识"
    finally:
        app.close()


# --- the study items -----------------------------------------------------------------------------------------------

def test_every_bundled_item_has_a_source_and_the_reviewed_key() -> None:
    loaded = load_library([bundled_dir()])
    assert loaded.errors == []
    for item in loaded.library:
        assert item.source, item.id
    for path in library_files(bundled_dir()):
        assert re.search(r"^reviewed:", path.read_text(encoding="utf-8"), re.MULTILINE), path
    tags = {tag for item in loaded.library for tag in item.tags}
    assert {"二十届三中全会", "二十届四中全会", "纪律处分条例", "党纪学习教育", "八项规定"} <= tags


@pytest.mark.parametrize(("query", "expected"), [
    ("二十届三中全会", "13-sanzhong-quanhui"),
    ("全面深化改革", "13-sanzhong-quanhui"),
    ("十五五", "14-sizhong-quanhui"),
    ("纪律处分", "15-jilv-chufen-tiaoli"),
    ("党纪学习教育", "16-dangji-xuexi"),
    ("八项规定精神学习教育", "17-baxiang-guiding-xuexi"),
])
def test_search_finds_the_new_topics(query: str, expected: str) -> None:
    assert search(load_library([bundled_dir()]).library, query)[0].item.id == expected


# --- 出处 kept by export and import --------------------------------------------------------------------------------

@pytest.mark.parametrize("writer, suffix", [(write_yaml, "yaml"), (write_xlsx, "xlsx"), (write_csv, "csv")])
@pytest.mark.parametrize("path", BANK_FILES, ids=[p.stem for p in BANK_FILES])
def test_a_bundled_bank_exported_reads_back_with_its_sources(tmp_path: Path, path: Path, writer, suffix) -> None:
    bank = read_bank(path).bank
    assert bank is not None
    exported = tmp_path / f"bank.{suffix}"
    assert not writer(bank, exported)  # no warnings: every row reads back
    again = read_bank(exported)
    assert again.problems == [] and again.bank is not None
    assert again.bank.questions == bank.questions  # the source is part of a Question's equality
    assert [q.source for q in again.bank.questions] == [q.source for q in bank.questions]


@pytest.mark.parametrize("header", ["出处", "来源", "依据", "source"])
def test_a_spreadsheet_s_source_column_under_its_other_names(tmp_path: Path, header: str) -> None:
    path = tmp_path / "q.csv"
    path.write_text(f"题型,题干,答案,解析,{header}\n判断,党员有退党的自由。,对,党员有退党的自由。,《中国共产党章程》第九条\n",
                    encoding="utf-8")
    bank = read_bank(path).bank
    assert bank is not None and bank.questions[0].source == "《中国共产党章程》第九条"


def test_a_json_question_s_source(tmp_path: Path) -> None:
    path = tmp_path / "q.json"
    path.write_text('[{"题型": "判断", "题干": "党员有退党的自由。", "答案": "对", '
                    '"出处": "《中国共产党章程》第九条"}]', encoding="utf-8")
    bank = read_bank(path).bank
    assert bank is not None and bank.questions[0].source == "《中国共产党章程》第九条"


def test_an_imported_bank_keeps_its_sources_in_the_database(tmp_path: Path, bundled: dict[str, Bank]) -> None:
    db = Database(f"sqlite:///{tmp_path}/t.db")
    db.create_schema()
    import_bank(db, bundled[SECOND], source="2024-2025.xlsx", replace=False, now=T0, sleep=lambda _: None)
    with db.session() as session:
        stored = load_stored_banks(session=session)[SECOND]
    assert [q.source for q in stored.questions] == [q.source for q in bundled[SECOND].questions]
    db.dispose()


def test_an_older_database_gains_the_source_column(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/t.db")
    db.create_schema()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE bank_question DROP COLUMN source")
        conn.exec_driver_sql("UPDATE schema_version SET version = 6")
        forget_alembic(conn)  # made before Alembic
    db.create_schema()
    assert db.schema().up_to_date
    assert "source" in {c["name"] for c in inspect(db.engine).get_columns("bank_question")}
    db.dispose()


# --- what a member sees --------------------------------------------------------------------------------------------

JUDGE = Question(QuestionType.JUDGE, "留党察看最长不超过一年。", "错", explanation="留党察看最长不超过两年。",
                 source="《中国共产党章程》第四十一条")


def test_the_source_line_sits_right_under_the_explanation() -> None:
    reveal = reveal_text(Reveal(number=1, question=JUDGE, answers=()))
    assert reveal.splitlines()[:3] == ["⏰ 第 1 题答案：错", "解析：留党察看最长不超过两年。",
                                       "出处：《中国共产党章程》第四十一条"]
    assert verdict_lines("张三", JUDGE, True, "", 5)[1:] == ["解析：留党察看最长不超过两年。",
                                                          "出处：《中国共产党章程》第四十一条"]
    bare = Question(QuestionType.JUDGE, "甲", "对")
    assert verdict_lines("张三", bare, True, "", 0) == ["✅ 张三 答对了！"]  # neither line when the bank has neither
    only_source = Question(QuestionType.JUDGE, "甲", "对", source="《中国共产党章程》")
    assert verdict_lines("张三", only_source, True, "", 0)[1:] == ["出处：《中国共产党章程》"]


ONE_QUESTION = """\
name: 测试题库
time_limit: 10
questions:
  - type: judge
    question: 留党察看最长不超过一年。
    answer: 错
    explanation: 留党察看最长不超过两年。
    source: 《中国共产党章程》第四十一条
"""
SHOWN = "解析：留党察看最长不超过两年。\n出处：《中国共产党章程》第四十一条"


def test_members_see_the_source_in_a_contest_the_daily_question_and_practice(tmp_path: Path) -> None:
    write_bank(tmp_path / "banks", ONE_QUESTION)
    clock = ManualClock(T0)
    app = make_app(tmp_path, clock)
    app.start()
    try:
        enrol(app, "张三")
        said = texts(app.handle(group_msg("张三", "开始竞赛 1", at=clock.now())))
        clock.set(clock.now() + timedelta(seconds=1))
        said += texts(app.handle(group_msg("张三", "错", at=clock.now())))  # alone on the roster: revealed at once
        assert any(SHOWN in text for text in said), said

        said = texts(app.handle(private_msg("张三", "每日一题", at=clock.now())))
        said += texts(app.handle(private_msg("张三", "对", at=clock.now())))  # wrong: into the 错题本
        assert any(SHOWN in text for text in said), said
        said = texts(app.handle(private_msg("张三", "错题本", at=clock.now())))
        listed = "   解析：留党察看最长不超过两年。\n   出处：《中国共产党章程》第四十一条"
        assert any(listed in text for text in said), said
        said = texts(app.handle(private_msg("张三", "错题练习", at=clock.now())))
        said += texts(app.handle(private_msg("张三", "错", at=clock.now())))
        assert any(SHOWN in text for text in said), said
    finally:
        app.close()
