"""Parsing .chat conversation scripts."""

from datetime import timedelta

import pytest

from bot.channels.local.script import PRIVATE, Restart, Say, ScriptError, SwitchGroup, Wait, parse_script


def test_every_line_kind():
    script = """\
# 第一党支部的竞赛
[第一党支部]
张三: 开始竞赛
李四：答案：B

~ 30s
  ~ 1.5m
~2h
~ 1d
~ 10 秒
~ 2分钟
~ 3 分
~ 1 小时
~ 1天
!restart
[私聊]
王五: 每日一题
赵六:
"""
    assert parse_script(script) == [
        SwitchGroup(2, "第一党支部"),
        Say(3, "张三", "开始竞赛"),
        Say(4, "李四", "答案：B"),  # only the first colon separates the name
        Wait(6, timedelta(seconds=30)),
        Wait(7, timedelta(seconds=90)),
        Wait(8, timedelta(hours=2)),
        Wait(9, timedelta(days=1)),
        Wait(10, timedelta(seconds=10)),
        Wait(11, timedelta(minutes=2)),
        Wait(12, timedelta(minutes=3)),
        Wait(13, timedelta(hours=1)),
        Wait(14, timedelta(days=1)),
        Restart(15),
        SwitchGroup(16, PRIVATE),
        Say(17, "王五", "每日一题"),
        Say(18, "赵六", ""),
    ]


def test_fractional_minutes():
    [step] = parse_script("~ 1.5m")
    assert step.delta == timedelta(minutes=1, seconds=30)


def test_message_text_keeps_inner_spaces_and_name_may_contain_a_space():
    assert parse_script("王 五:  A C ") == [Say(1, "王 五", " A C")]


def test_empty_script_has_no_steps():
    assert parse_script("\n# only a comment\n   \n") == []


@pytest.mark.parametrize(
    ("line", "hint"),
    [
        ("~ 5x", "~ 30s"),
        ("~", "~ 30s"),
        ("~ -5s", "~ 30s"),
        ("~ 5 minutes", "~ 30s"),
        ("hello", "姓名: 消息"),
        ("[]", "姓名: 消息"),
        (": 没有名字", "姓名: 消息"),
        ("!restrat", "姓名: 消息"),
    ],
)
def test_bad_line_raises_with_its_line_number(line, hint):
    script = f"# header\n[第一党支部]\n张三: 开始竞赛\n\n{line}\n李四: A\n"
    with pytest.raises(ScriptError) as info:
        parse_script(script)
    assert info.value.line == 5
    assert str(info.value).startswith("第 5 行：")
    assert hint in str(info.value)


def test_first_bad_line_is_reported_and_nothing_is_returned():
    with pytest.raises(ScriptError) as info:
        parse_script("张三: 好\nbad one\nbad two\n")
    assert info.value.line == 2
