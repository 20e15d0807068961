"""The WeCom long connection as WeCom's own SDK and plugin read it (issue 13): frames with raw control
characters, events without chattype, flat click fields, missed pings, a refused reply, resends with new
ids, and cards that fit WeCom's recommended text lengths. Against the fake WeCom server
(tests/fakes/wecom_ws_server.py), the whole bot or a stand-in core; no fixed sleeps."""

from __future__ import annotations

from pathlib import Path

from fakes.wecom_ws_server import FakeWeComServer, content, pushed, reply_to
from helpers import T0, Sleeps
from test_wecom_ws import BOT, G1, card_of, ping_interval, run, running_bot, settled, update_of

from bot.channels.wecom import cards
from bot.clock import ManualClock
from bot.messages import Incoming, Outgoing


def recording_core(app: object, seen: list[Incoming], reply: str = "收到") -> None:
    """The adapter under test, a stand-in core: every incoming recorded; a tap answered with a note for
    the member who tapped, anything else with `reply`."""

    def core(incoming: Incoming) -> list[Outgoing]:
        seen.append(incoming)
        if incoming.button:
            return [Outgoing(incoming.chat, "已作答", private_to=incoming.sender.user_id,
                             about=incoming.question_key or "", answer=incoming.button)]
        return [Outgoing(incoming.chat, reply)]

    app.handle = core  # type: ignore[attr-defined]


# ----- item 11: control characters -----


def test_a_frame_with_raw_control_characters_is_read_not_dropped(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server) as (app, adapter):
            # WeCom sends the member's text with raw control characters in the JSON string (and a raw
            # newline and tab): read as WeCom's SDK reads it, the message is answered
            req = await server.say("u1", f"{BOT} 帮\x01助\x1f", raw_controls=True)
            assert "开始竞赛" in content(await server.wait_for(reply_to(req)))
            raw = [f for f in server.received if "raw" in f]
            assert not raw
            req = await server.say("u1", f"{BOT}\t我的\x0b积分\n", raw_controls=True)
            assert "积分" in content(await server.wait_for(reply_to(req)))
            assert server.connections == 1

    run(scenario())


# ----- item 12: chattype -----


def test_events_and_messages_without_chattype_are_told_apart_by_chatid(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server) as (app, adapter):
            seen: list[Incoming] = []
            recording_core(app, seen)
            adapter.send(Outgoing(G1, "第 1 题\n选？", choices=("A", "B"), key="contest:5:q0"))
            card = card_of(await server.wait_for(pushed("template_card")))
            req = await server.click("u1", card, key=f"{card['task_id']}:A", chattype=False)
            assert update_of(await server.wait_for(reply_to(req, "aibot_respond_update_msg")))["userids"] == ["u1"]
            assert seen[-1].chat == G1 and seen[-1].chat.is_group
            req = await server.say("u2", f"{BOT} 你好", chattype=False)
            await server.wait_for(reply_to(req))
            assert seen[-1].chat == G1
            req = await server.say("u3", "你好", chat=None, chattype=False)  # no chatid: a private chat
            await server.wait_for(reply_to(req))
            assert not seen[-1].chat.is_group and seen[-1].chat.chat_id == "u3"

    run(scenario())


# ----- item 13: flat click fields -----


def test_a_click_with_flat_fields_is_read_as_a_nested_one(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server) as (app, adapter):
            seen: list[Incoming] = []
            recording_core(app, seen)
            adapter.send(Outgoing(G1, "第 1 题\n选？", choices=("A", "B"), key="contest:5:q0"))
            card = card_of(await server.wait_for(pushed("template_card")))
            req = await server.click("u1", card, key=f"{card['task_id']}:B", flat=True)
            update = update_of(await server.wait_for(reply_to(req, "aibot_respond_update_msg")))
            assert update["template_card"]["button_list"][0]["text"] == "已作答：B"
            assert (seen[-1].button, seen[-1].question_key) == ("B", "contest:5:q0")

    run(scenario())


def test_flat_click_fields_parse() -> None:
    flat = {"eventtype": "template_card_event", "card_type": "vote_interaction", "event_key": "t@1:submit",
            "task_id": "t@1", "selected_items": {"selected_item": [{"option_ids": {"option_id": ["B"]}}]}}
    assert cards.parse_card_event(flat) == cards.CardClick("t@1", "vote_interaction", "t@1:submit", "B")
    both = {"event_key": "x@1:A", "task_id": "x@1",
            "template_card_event": {"event_key": "t@2:对", "task_id": "t@2"}}
    assert cards.parse_card_event(both).task_id == "t@2"  # the nested fields first, as before
    assert cards.parse_card_event({"eventtype": "template_card_event", "event_key": "x"}) is None


# ----- item 14: pings -----


def test_one_missed_ping_is_forgiven_when_the_next_is_answered(tmp_path: Path) -> None:
    sleeps = Sleeps()

    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server,
                                                            sleeps=sleeps):
            server.ack_pings = False
            await sleeps.end(ping_interval)
            await server.wait_until(lambda: len(server.frames("ping")) == 1, what="the first ping")
            server.ack_pings = True  # WeCom answers again
            mark = len(server.received)
            await sleeps.end(ping_interval)  # the first went unanswered: one miss, another ping
            second = await server.wait_for(lambda f: f.get("cmd") == "ping", after=mark)
            await server.wait_acked(second["headers"]["req_id"])
            await settled(server)  # the client has read the answer: the count starts again
            await sleeps.end(ping_interval)
            await server.wait_until(lambda: len(server.frames("ping")) == 3, what="the third ping")
            server.ack_pings = False
            await sleeps.end(ping_interval)  # the third unanswered: one miss only
            await server.wait_until(lambda: len(server.frames("ping")) == 4, what="the fourth ping")
            assert server.subscriptions == 1 and server.connections == 1 and server.connected

    run(scenario())
