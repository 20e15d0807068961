"""Who may use a command and where: declared on the command, refused once by the dispatcher."""

from datetime import datetime
from pathlib import Path

import pytest

from bot.app import build_app
from bot.guards import refusal
from bot.messages import Chat, Incoming, Sender
from bot.router import Router
from bot.services.context import Context, GroupInfo, MemberInfo
from bot.settings import load_settings

GROUP = Chat("local", "第一党支部", True, "第一党支部")
PRIVATE = Chat("local", "张三", False, "私聊")


@pytest.fixture(scope="module")
def router(tmp_path_factory) -> Router:
    db = tmp_path_factory.mktemp("guards") / "t.db"
    return build_app(load_settings(Path("/dev/null"), {"database": {"url": f"sqlite:///{db}"}})).router


def context(chat: Chat, role: str = "member") -> Context:
    incoming = Incoming(chat=chat, sender=Sender("张三", "张三"), text="", message_id="m1",
                        received_at=datetime(2026, 3, 2, 9, 0))
    group = GroupInfo(1, chat, chat.name, 1) if chat.is_group else None
    return Context(None, incoming, MemberInfo(1, "张三", 1, role), group, incoming.received_at, [])  # type: ignore[arg-type]


def refused(router: Router, text: str, chat: Chat, role: str = "member") -> str | None:
    match = router.match(text)
    assert match is not None
    return refusal(match.command, context(chat, role))


@pytest.mark.parametrize(("text", "what"), [
    ("安排会议", "安排会议"), ("修改会议", "修改会议"), ("取消会议", "取消会议"), ("签到情况", "查看签到情况"),
    ("安排推送", "安排学习推送"), ("取消推送", "取消学习推送")])
def test_manager_commands_refuse_an_ordinary_member_in_one_message(router, text, what):
    expected = f"抱歉，只有书记、委员和管理员可以{what}。如需调整，请联系本支部书记。"
    assert refused(router, text, GROUP) == expected
    assert refused(router, text, PRIVATE) == expected


@pytest.mark.parametrize("role", ["secretary", "committee", "admin"])
def test_secretaries_committee_members_and_admins_may_use_them(router, role):
    assert refused(router, "安排会议", GROUP, role) is None


def test_group_commands_are_refused_in_private_chat(router):
    assert refused(router, "开始竞赛", PRIVATE) == "知识竞赛需要在群里进行。私聊可以发送「每日一题」。"
    assert refused(router, "结束竞赛", PRIVATE) == "结束竞赛需要在群里进行。"
    assert refused(router, "开始竞赛", GROUP) is None


def test_private_commands_are_refused_in_a_group(router):
    assert refused(router, "错题练习", GROUP) == "张三，错题练习请私聊我发送「错题练习」。"
    assert refused(router, "错题练习", PRIVATE) is None


def test_everyone_may_use_the_other_commands_anywhere(router):
    for command in router.commands:
        if command.role == "member" and command.where == "any":
            assert refused(router, command.words[0], GROUP) is None
            assert refused(router, command.words[0], PRIVATE) is None

