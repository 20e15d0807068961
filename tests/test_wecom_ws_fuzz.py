"""WeCom smart robot's long connection, malformed (issue 14): a thousand message and card-click callbacks with
fields deleted or of the wrong kind, at any depth, pushed from the fake WeCom server on loopback during a
contest. None is logged with a traceback, none sends the apology, the connection stays the one it was, and the
contest goes on: a genuine click and a genuine message afterwards are answered."""

from __future__ import annotations

import json
import random
from pathlib import Path

from fakes.wecom_ws_server import FakeWeComServer, content, pushed
from fuzzing import clean_log, mutated
from helpers import T0, enrol
from test_wecom_ws import ask, card_of, run, running_bot

from bot.clock import ManualClock
from bot.dispatcher import APOLOGY

FRAMES = 1_000


def test_a_thousand_malformed_callbacks_are_survived_and_the_contest_goes_on(tmp_path: Path) -> None:
    rng = random.Random(2026)

    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server) as (app, _adapter):
            enrol(app, "u1", "u2", "u3", branch="g1", channel="wecom")
            mark = len(server.received)
            await ask(server, "u1", "开始竞赛 测试题库 3 5秒")
            card = card_of(await server.wait_for(pushed("template_card"), after=mark))
            message = {"msgid": "genuine", "aibotid": "B", "chattype": "group", "chatid": "g1",
                       "from": {"userid": "u2"}, "msgtype": "text", "text": {"content": "@学习助手 帮助"}}
            click = {"msgid": "click", "aibotid": "B", "chattype": "group", "chatid": "g1", "from": {"userid": "u2"},
                     "msgtype": "event", "event": {"eventtype": "template_card_event", "template_card_event": {
                         "card_type": card["card_type"], "task_id": card["task_id"], "event_key": "A",
                         "selected_items": {"selected_item": [{"question_key": "q", "option_ids": {
                             "option_id": ["A", "B"]}}]}}}}
            for n in range(FRAMES):
                is_click = n % 5 < 2  # 400 clicks, 600 messages
                body = mutated(click if is_click else message, rng)
                if isinstance(body, dict) and body.get("msgid") in ("genuine", "click"):
                    body["msgid"] = f"fuzz-{n}"  # each its own message, not a retry of the first
                cmd = "aibot_event_callback" if is_click else "aibot_msg_callback"
                # as WeCom's JSON, escapes and all (a lone surrogate is \\ud800 on the wire)
                await server.push_raw(json.dumps({"cmd": cmd, "headers": {"req_id": f"r{n}"}, "body": body}))
            # frames are handled in order: once this is answered, every one before it has been
            answer = await ask(server, "u3", "帮助")
            assert "开始竞赛" in content(answer)
            assert server.connected and server.connections == 1
            assert all(APOLOGY not in json.dumps(frame, ensure_ascii=False) for frame in server.received)

    with clean_log():
        run(scenario(), timeout=120)
