"""DingTalk Stream's frames, malformed (issue 14): a thousand chatbot messages and card taps with fields deleted,
of the wrong type, empty, huge or undecodable, pushed through the real `dingtalk_stream` client from the fake
gateway on loopback during a contest. Each is acknowledged (so DingTalk does not deliver it again), none is logged
with a traceback, none sends the apology, and the contest and the bot go on: a genuine tap and a genuine message
afterwards are answered."""

from __future__ import annotations

import json
import random
from pathlib import Path

from fakes.dingtalk_gateway import CARD_TOPIC, CHATBOT_TOPIC, FakeDingTalkGateway, text_of
from fuzzing import clean_log, mutated
from helpers import T0, enrol
from test_dingtalk import has, run, say
from test_dingtalk_cards import bot_with_cards, numbered

from bot.clock import ManualClock
from bot.dispatcher import APOLOGY

FRAMES = 1_000


def test_a_thousand_malformed_frames_are_acked_and_the_contest_goes_on(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    rng = random.Random(2026)

    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, bot_with_cards(tmp_path, clock, gateway) as (app, _adapter):
            enrol(app, "u1", "u2", "u3", channel="dingtalk")
            await say(gateway, "u1", "开始竞赛 按钮题库 3 5秒")
            card = await gateway.wait_for_card(numbered(1))
            genuine_tap = gateway.tap_data("u2", card, "A")
            genuine_text = gateway.chatbot_data("u2", "帮助")
            acks: list[int] = []
            for n in range(FRAMES):
                tap = n % 5 < 2  # 400 taps, 600 messages
                data = mutated(genuine_tap if tap else genuine_text, rng)
                if isinstance(data, dict) and data.get("msgId") == genuine_text["msgId"]:
                    data["msgId"] = f"fuzz-{n}"  # each its own message, not a redelivery of the first
                frame_id = f"fuzz-{n}"
                # sent as the platform's JSON, escapes and all (a lone surrogate is \\ud800 on the wire)
                await gateway.send_raw(json.dumps({
                    "specVersion": "1.0", "type": "CALLBACK", "data": json.dumps(data),
                    "headers": {"appId": "app", "connectionId": "c1", "contentType": "application/json",
                                "messageId": frame_id, "topic": CARD_TOPIC if tap else CHATBOT_TOPIC}}))
                acks.append((await gateway.wait_ack(frame_id))["code"])
            assert len(acks) == FRAMES and set(acks) <= {200, 400}, sorted(set(acks))

            # the bot goes on: a genuine tap is answered on the member's card, a genuine message in the group
            ack = await gateway.wait_ack(await gateway.tap("u3", card, "B"))
            status = json.loads(ack["data"])["response"]["userPrivateData"]["cardParamMap"]["my_status"]
            assert status.startswith("已作答：B。")
            mark = gateway.reply_count()
            await say(gateway, "u3", "帮助")
            await gateway.wait_for(has("开始竞赛"), after=mark)
            assert all(APOLOGY not in text_of(body) for _where, body in gateway.replies_since(0))

    with clean_log():
        run(scenario(), timeout=120)
