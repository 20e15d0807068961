"""Any Unicode text, typed in a group or privately or played as a .chat script, gets replies or a ScriptError:
never an exception, never the apology for one."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.channels.local.script import ScriptError, parse_script
from bot.clock import ManualClock
from bot.dispatcher import APOLOGY
from bot.messages import Incoming, Outgoing, Sender
from tests.helpers import T0, group_chat, make_app, private_chat

# the characters issue 14 is about, mixed into arbitrary text
_TRICKY = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u3000", "\u2005", "@学习助手 ",
                           "开始竞赛", "排行榜", "帮助", "吗？", "对", "Ａ", "①", "…", "\n", "[点击 B]", "~ 5s"])
_TEXT = st.lists(st.one_of(st.text(max_size=12), _TRICKY), max_size=6).map("".join)
_ids = itertools.count()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    made = make_app(tmp_path_factory.mktemp("fuzz"), ManualClock(T0))
    yield made
    made.close()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_TEXT, name=_TEXT, private=st.booleans())
def test_any_text_gets_replies_never_an_exception(app: App, text: str, name: str, private: bool) -> None:
    user = name or "张三"
    chat = private_chat(user) if private else group_chat()
    replies = app.handle(Incoming(chat, Sender(user, user), text, f"fuzz-{next(_ids)}", T0))
    assert isinstance(replies, list) and all(isinstance(r, Outgoing) for r in replies)
    assert APOLOGY not in [r.text for r in replies]


@settings(max_examples=200, deadline=None)
@given(text=_TEXT)
def test_any_script_text_parses_or_is_a_script_error(text: str) -> None:
    try:
        steps = parse_script(text)
    except ScriptError as exc:
        assert str(exc).startswith("第 ")
    else:
        assert isinstance(steps, list)
