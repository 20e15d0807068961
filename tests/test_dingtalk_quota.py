"""DingTalk against the fake's limits (issue 13): a value over 1 KB, the monthly API quota, the card map
kept across a restart, acks in a burst of taps. The whole adapter and the real `dingtalk_stream` client."""

from __future__ import annotations

from pathlib import Path

from fakes.dingtalk_gateway import FakeDingTalkGateway, text_of
from helpers import T0
from test_dingtalk import has, run
from test_dingtalk_cards import bot_with_cards

from bot.clock import ManualClock
from bot.messages import Chat, Outgoing

GROUP = Chat("dingtalk", "cid-g1", True, "第一党支部")


def test_a_question_too_long_for_a_card_goes_as_text(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, bot_with_cards(tmp_path, ManualClock(T0), gateway) as (_, adapter):
            await gateway.push(gateway.chatbot_data("u1", "帮助"))  # a fresh session webhook for the group
            await gateway.wait_for(has("帮助"))
            stem = "第 1 题 " + "长题干" * 200
            adapter.send(Outgoing(GROUP, f"{stem}\nA. 甲\nB. 乙", choices=("A", "B"), key="contest:1:q0"))
            _, sent = await gateway.wait_for(has("长题干"))
            assert "群里作答请先 @我" in text_of(sent) and gateway.card_sends == []

    run(scenario())
