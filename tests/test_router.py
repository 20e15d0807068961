"""Matching chat text to the bot's real command words."""

from pathlib import Path

import pytest

from bot.app import build_app
from bot.router import Router
from bot.settings import load_settings


@pytest.fixture(scope="module")
def router(tmp_path_factory) -> Router:
    # the router build_app gives the dispatcher; handlers are never called here
    db = tmp_path_factory.mktemp("router") / "t.db"
    return build_app(load_settings(Path("/dev/null"), {"database": {"url": f"sqlite:///{db}"}})).router


def matched(router, text):
    match = router.match(text)
    return None if match is None else (match.command.words[0], match.args)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("开始竞赛", ("开始竞赛", [])),
        ("开始竞赛 党建基础知识 5", ("开始竞赛", ["党建基础知识", "5"])),
        ("开始竞赛党建基础知识", ("开始竞赛", ["党建基础知识"])),
        ("开始竞赛5", ("开始竞赛", ["5"])),
        ("  知识竞赛  3 ", ("开始竞赛", ["3"])),
        ("排行榜本月", ("排行榜", ["本月"])),
        ("排行榜 本月", ("排行榜", ["本月"])),
        ("排行榜", ("排行榜", [])),
        ("积分排行 本周", ("排行榜", ["本周"])),
        ("结束竞赛", ("结束竞赛", [])),
        ("每日一题", ("每日一题", [])),
        ("题库列表", ("题库", [])),
        ("题库", ("题库", [])),
        ("我的积分", ("我的积分", [])),
        ("积分", ("我的积分", [])),
        ("帮助", ("帮助", [])),
    ],
)
def test_chinese_commands_with_and_without_a_space_before_arguments(router, text, expected):
    assert matched(router, text) == expected


@pytest.mark.parametrize(("text", "args"), [("支部排行", []), ("支部排行本季度", ["本季度"]),
                                            ("支部排行 本季度", ["本季度"]), ("支部排名", [])])
def test_branch_ranking_is_not_read_as_member_ranking(router, text, args):
    assert matched(router, text) == ("支部排行", args)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/quiz", ("开始竞赛", [])),
        ("/quiz 5", ("开始竞赛", ["5"])),
        ("/QUIZ 5", ("开始竞赛", ["5"])),
        ("/rank 本月", ("排行榜", ["本月"])),
        ("/branches", ("支部排行", [])),
        ("help", ("帮助", [])),
        ("help me", ("帮助", ["me"])),
    ],
)
def test_latin_aliases(router, text, expected):
    assert matched(router, text) == expected


@pytest.mark.parametrize("text", ["/quiz5", "/quizzes", "/rankings", "helpful", "/stopped", "/me2"])
def test_latin_aliases_need_a_space_before_arguments(router, text):
    assert router.match(text) is None


@pytest.mark.parametrize("text", ["大家好", "A", "对", "", "   ", "今天学习了吗", "竞赛开始了吗"])
def test_chatter_matches_no_command(router, text):
    assert router.match(text) is None


@pytest.mark.parametrize(("typo", "meant"), [("开始竟赛", "开始竞赛"), ("开始竟赛 5", "开始竞赛"),
                                             ("排行", "排行榜"), ("每日一提", "每日一题"),
                                             ("/quzi", "/quiz"), ("/xyz", "帮助")])
def test_suggest_proposes_the_intended_command(router, typo, meant):
    assert router.match(typo) is None
    assert router.suggest(typo) == meant


@pytest.mark.parametrize("text", ["大家好", "好的", "收到", "谢谢大家", "哈哈哈", "", "  ",
                                  "今天下午三点在会议室开支部大会请大家准时参加",
                                  "我觉得开始竞赛这个功能挺好的"])
def test_suggest_returns_none_for_chatter_and_long_text(router, text):
    assert router.suggest(text) is None


@pytest.mark.parametrize("args, expected", [
    ([], (None, None, None)),
    (["党建基础知识"], ("党建基础知识", None, None)),
    (["党建基础知识", "3"], ("党建基础知识", 3, None)),
    (["党建基础知识", "3题"], ("党建基础知识", 3, None)),
    (["党建基础知识", "3", "20秒"], ("党建基础知识", 3, 20)),
    (["党建基础知识", "20s", "3"], ("党建基础知识", 3, 20)),
    (["5"], (None, 5, None)),
    (["党建", "基础", "知识", "2"], ("党建 基础 知识", 2, None)),
    (["党建基础知识3"], ("党建基础知识", 3, None)),  # a count glued to a bank's name
    (["党建基础知识3题"], ("党建基础知识", 3, None)),
    (["二十大精神100"], ("二十大精神100", None, None)),  # "二十大精神" is no bank: the name stays whole
    (["党建基础知识3", "5"], ("党建基础知识3", 5, None)),  # a count of its own: the name is left alone
    (["5", "题"], (None, 5, None)),  # a unit typed apart (issue 14: it was read as a bank called 「题」)
    (["党建基础知识", "5", "道题", "20", "秒"], ("党建基础知识", 5, 20)),
    (["99999999999题"], (None, 99999999999, None)),  # a unit says it is a count: told its range, not a bank
    (["99999999999"], ("99999999999", None, None)),
])
def test_contest_arguments_are_read_from_the_end(args, expected):
    from bot.handlers.quiz import parse_start

    assert parse_start(args, lambda name: name == "党建基础知识") == expected


def test_a_bank_whose_name_ends_in_digits_keeps_them():
    from bot.handlers.quiz import parse_start

    banks = {"党建基础知识", "二十大精神2022"}
    assert parse_start(["二十大精神2022"], banks.__contains__) == ("二十大精神2022", None, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("开始竞赛吗？", ("开始竞赛", [])),
        ("开始竞赛吗", ("开始竞赛", [])),
        ("开始竞赛吧！", ("开始竞赛", [])),
        ("开始竞赛 测试题库吗?", ("开始竞赛", ["测试题库"])),
        ("排行榜？", ("排行榜", [])),
        ("排行榜本月呢？？", ("排行榜", ["本月"])),
        ("帮助。", ("帮助", [])),
        ("结束竞赛了", ("结束竞赛", [])),
    ],
)
def test_a_trailing_question_or_particle_is_not_an_argument(router, text, expected):
    assert matched(router, text) == expected
