"""The local chat reads 「@学习助手 帮助」 as WeCom and DingTalk do: the @mention is not part of the command."""

from __future__ import annotations

import io
from pathlib import Path

from bot.channels.local.channel import LocalChannel
from bot.clock import ManualClock
from tests.helpers import T0, make_app


def _said(tmp_path: Path, text: str, group: str = "第一党支部") -> str:
    app = make_app(tmp_path, ManualClock(T0))
    out = io.StringIO()
    LocalChannel(app, out, app.settings.bot.name).say("张三", group, text, echo=False)
    return out.getvalue()


def test_a_leading_mention_of_the_bot_is_stripped(tmp_path: Path) -> None:
    plain = _said(tmp_path / "a", "帮助")
    assert "学习助手" in plain and "开始竞赛" in plain
    assert _said(tmp_path / "b", "@学习助手 帮助") == plain
    assert _said(tmp_path / "c", "@学习助手\u2005帮助") == plain
    assert _said(tmp_path / "d", "帮助 @学习助手") == plain


def test_a_mention_in_a_private_chat_is_stripped_too(tmp_path: Path) -> None:
    assert _said(tmp_path / "a", "@学习助手 帮助", "私聊") == _said(tmp_path / "b", "帮助", "私聊")
