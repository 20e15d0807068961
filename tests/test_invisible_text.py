"""Text that looks right and is not (issue 14): invisible characters and full-width forms in chat text, names,
rosters and banks are read as the text they look like."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.messages import Incoming, Sender
from bot.services.roster import import_roster
from bot.services.roster_file import RosterRow, read_roster
from bot.storage.models import Member
from quizzes.bank_yaml import load_bank_file
from quizzes.importers.build import build_question
from quizzes.importers.common import RawQuestion, Where
from safeio.text import plain_name, plain_text
from tests.helpers import T0, group_chat, group_msg, make_app, texts


@pytest.mark.parametrize("raw, plain", [
    ("王\u200b五", "王五"), ("开始\u200b竞赛", "开始竞赛"), ("\ufeff帮助", "帮助"),
    ("排\u2060行\u200c榜\u200d", "排行榜"),
    ("ＡＢ", "AB"), ("１２３", "123"), ("开始竞赛\u3000３", "开始竞赛 3"), ("A\u00a0B", "A B"),
    # what NFKC would change in meaning stays as written
    ("对", "对"), ("错", "错"), ("√", "√"), ("×", "×"), ("党的最高领导机关是（）。", "党的最高领导机关是（）。"),
    ("……", "……"), ("①②③", "①②③"), ("面积为 5km²", "面积为 5km²"), ("好吗？！", "好吗？！"),
])
def test_plain_text(raw: str, plain: str) -> None:
    assert plain_text(raw) == plain


@pytest.mark.parametrize("raw, plain", [("王\u200b五", "王五"), ("王\u3000五", "王五"), (" 王五 ", "王五"),
                                        ("Tom\u3000 Li", "Tom Li")])
def test_plain_name(raw: str, plain: str) -> None:
    assert plain_name(raw) == plain


def test_a_command_with_an_invisible_character_is_the_command(tmp_path: Path) -> None:
    app = make_app(tmp_path, ManualClock(T0))
    plain = texts(app.handle(group_msg("张三", "帮助")))
    assert texts(app.handle(group_msg("张三", "帮\u200b助"))) == plain
    assert texts(app.handle(group_msg("张三", "\ufeff帮助\u2060"))) == plain


def test_a_contest_starts_with_an_invisible_character_in_the_command(tmp_path: Path) -> None:
    app = make_app(tmp_path, ManualClock(T0))
    replies = texts(app.handle(group_msg("张三", "开始\u200b竞赛")))
    assert "发起了练习赛" in replies[0] and "第 1/5 题" in replies[1]


def test_judge_answer_is_not_changed(tmp_path: Path) -> None:
    assert plain_text("对") == "对" and plain_text("Ｂ") == "B"


def test_a_roster_name_with_an_invisible_character_is_the_plain_name(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("姓名,支部\n王\u200b五,第一党支部\n赵\u3000六,第一\u200b党支部\n", encoding="utf-8")
    assert [(r.name, r.branch) for r in read_roster(path)] == [("王五", "第一党支部"), ("赵六", "第一党支部")]


def test_a_sender_named_with_an_invisible_character_is_the_rostered_member(tmp_path: Path) -> None:
    app = make_app(tmp_path, ManualClock(T0))
    import_roster(app.db, rows=[RosterRow(2, "王五", "第一党支部", "member", {})], now=T0, label="roster.csv",
                  sleep=lambda _: None)
    app.dispatcher.forget_directory()
    app.handle(Incoming(group_chat(), Sender("u-1", "王\u200b五"), "帮助", "m-zw", T0))
    with app.db.session() as session:
        assert [m.name for m in session.exec(select(Member)).all()] == ["王五"]


def test_bank_text_on_import_is_plain(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_text("name: 题库\nquestions:\n  - type: single\n    question: \"党的\\u200b最高（）\"\n"
                    "    options: [\"中央\\u200b委员会\", 乙]\n    answer: A\n", encoding="utf-8")
    bank, problems = load_bank_file(path)
    assert not problems and bank is not None
    assert bank.questions[0].text == "党的最高（）" and bank.questions[0].options[0] == "中央委员会"
    raw = RawQuestion(Where(row=2), type_word="单选", text="题\u200b干（）", options=["甲\u200b", "乙"], answer="A")
    question, problems = build_question(raw)
    assert question is not None and question.text == "题干（）" and question.options == ("甲", "乙")


def test_a_question_after_a_command_is_not_a_bank_name(tmp_path: Path) -> None:
    app = make_app(tmp_path, ManualClock(T0))
    replies = texts(app.handle(group_msg("张三", "开始竞赛吗？")))
    assert "发起了练习赛" in replies[0] and "没有找到题库" not in replies[0]
