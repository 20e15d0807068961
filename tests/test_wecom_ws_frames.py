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


# ----- item 15: a refused reply -----


def test_a_refused_reply_reaches_the_member_as_a_push(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server) as (app, adapter):
            server.refuse_responds = 1  # WeCom answers the reply with errcode 600039
            req = await server.say("u1", f"{BOT} 帮助")
            refused = await server.wait_for(reply_to(req))
            pushed_help = await server.wait_for(pushed("markdown"))
            assert content(pushed_help) == content(refused) and "开始竞赛" in content(pushed_help)
            assert pushed_help["body"]["chatid"] == "g1" and pushed_help["body"]["chat_type"] == 2
            # a card refused comes as a card, under a new task_id
            seen: list[Incoming] = []
            recording_core(app, seen)
            app.handle = lambda incoming: [Outgoing(incoming.chat, "第 1 题\n选？", choices=("A", "B"),  # type: ignore[method-assign]
                                                    key="daily:1")]
            server.refuse_responds = 1
            mark = len(server.received)
            req = await server.say("u2", "每日一题", chat=None)
            card = card_of(await server.wait_for(reply_to(req), after=mark))
            again = await server.wait_for(pushed("template_card"), after=mark)
            assert again["body"]["chatid"] == "u2" and again["body"]["chat_type"] == 1
            assert card_of(again)["task_id"] != card["task_id"]
            assert cards.question_of(card_of(again)["task_id"]) == "daily:1"
            keys = [b["key"] for b in card_of(again)["button_list"]]
            assert keys == [f"{card_of(again)['task_id']}:A", f"{card_of(again)['task_id']}:B"]
            await settled(server)
            assert len(server.frames("aibot_send_msg", after=mark)) == 1 and server.id_refusals == 0

    run(scenario())


# ----- item 16: resends are new messages -----


def test_a_repeated_callback_is_answered_with_new_ids_once_per_request(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server) as (app, adapter):
            app.handle = lambda incoming: [Outgoing(incoming.chat, "第 1 题\n选？", choices=("A", "B"),  # type: ignore[method-assign]
                                                    key="daily:1")]
            await server.say("u1", "每日一题", chat=None, msgid="m1", req_id="r1")
            first = card_of(await server.wait_for(reply_to("r1")))
            mark = len(server.received)
            await server.say("u1", "每日一题", chat=None, msgid="m1", req_id="r2")  # WeCom asks again
            await server.say("u1", "每日一题", chat=None, msgid="m1", req_id="r2")  # that one twice: our dedupe
            second = card_of(await server.wait_for(reply_to("r2")))
            await settled(server)
            assert second["task_id"] != first["task_id"] and cards.question_of(second["task_id"]) == "daily:1"
            assert len(server.frames("aibot_respond_msg", after=mark)) == 2  # r2 once, and the probe
            assert server.id_refusals == 0

    run(scenario())


def test_a_push_resent_after_a_reconnect_is_a_new_message(tmp_path: Path) -> None:
    sleeps = Sleeps()

    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, ManualClock(T0), server,
                                                            sleeps=sleeps) as (app, adapter):
            server.ack_sends = False  # WeCom takes the card and never acks it
            adapter.send(Outgoing(G1, "第 1 题\n选？", choices=("A", "B"), key="contest:5:q0"))
            sent = await server.wait_for(pushed("template_card"))
            await server.drop()
            await sleeps.end(lambda seconds: seconds < 10)
            await server.wait_connected(count=2)
            server.ack_sends = True
            again = await server.wait_for(pushed("template_card"), after=server.received.index(sent) + 1)
            await server.wait_acked(again["headers"]["req_id"])
            assert again["headers"]["req_id"] != sent["headers"]["req_id"]
            old, new = card_of(sent), card_of(again)
            assert new["task_id"] != old["task_id"] and cards.question_of(new["task_id"]) == "contest:5:q0"
            assert new["button_list"][0]["key"] == f"{new['task_id']}:A" and server.id_refusals == 0
            # a tap on the new card locks it, under its own task id
            req = await server.click("u1", new, key=f"{new['task_id']}:A")
            assert update_of(await server.wait_for(reply_to(req, "aibot_respond_update_msg")))[
                "template_card"]["task_id"] == new["task_id"]

    run(scenario())


# ----- item 17: cards fit WeCom's recommended lengths -----


def fits(card: dict) -> bool:
    title = card["main_title"]
    options = card.get("checkbox", {}).get("option_list", [])
    return (len(title["title"]) <= 26 and len(title.get("desc", "")) <= 30
            and len(card.get("sub_title_text", "")) <= 112 and all(len(o["text"]) <= 11 for o in options))


def test_a_step_puts_the_reveal_above_a_card_that_fits() -> None:
    reveal = ("⏰ 第 1 题答案：ABC\n解析：" + "三会一课是党的组织生活的基本制度。" * 3
              + "\n答对 2 人：u1（+12）、u2（+10）")
    question = "📝 知识竞赛 第 2/3 题（单选，限时 30 秒）\n党员有退党的自由吗？\nA. 有\nB. 没有\n请回复选项字母，如 A"
    laid = cards.question_card(Outgoing(G1, f"{reveal}\n\n{question}", choices=("A", "B")), "t@1")
    assert laid.above == reveal and fits(laid.card)
    assert laid.card["main_title"]["title"] == "📝 知识竞赛 第 2/3 题（单选，限时 30 秒）"
    assert laid.card["sub_title_text"] == "党员有退党的自由吗？\nA. 有\nB. 没有"  # buttons: no "请回复"
    # a title two characters too long loses its emoji, not its words
    long_head = "📝 知识竞赛 第 12/20 题（单选，限时 30 秒）\n选？\nA. 甲\nB. 乙"
    laid = cards.question_card(Outgoing(G1, long_head, choices=("A", "B")), "t@2")
    assert laid.above == "" and laid.card["main_title"]["title"] == "知识竞赛 第 12/20 题（单选，限时 30 秒）"


def test_a_question_too_long_for_its_card_comes_whole_above_it() -> None:
    stem = "根据《中国共产党章程》，" + "党的基层组织" * 20 + "的基本任务是（）。"
    text = f"📝 知识竞赛 第 1/3 题（单选，限时 30 秒）\n{stem}\nA. 甲\nB. 乙\n请回复选项字母，如 A"
    laid = cards.question_card(Outgoing(G1, text, choices=("A", "B")), "t@1")
    assert laid.above == text and fits(laid.card)
    assert laid.card["sub_title_text"] == "题目与选项见上条消息"
    # a vote card with an option too long ("B. 严重警告及留党察看": 12 characters): letters on the card, options above
    vote = ("📝 知识竞赛 第 2/3 题（多选，限时 30 秒）\n下列属于党的纪律处分的有（）。\nA. 警告\n"
            "B. 严重警告及留党察看\nC. 开除党籍\n请回复全部正确选项，如 AC")
    laid = cards.question_card(Outgoing(G1, vote, choices=("A", "B", "C"), multiple=True), "t@2")
    assert laid.above == vote and fits(laid.card)
    assert [o["text"] for o in laid.card["checkbox"]["option_list"]] == ["A", "B", "C"]
    # short enough: the stem as the description, "A. 选项" as the options, nothing above
    short = vote.replace("严重警告及留党察看", "严重警告")
    laid = cards.question_card(Outgoing(G1, short, choices=("A", "B", "C"), multiple=True), "t@3")
    assert laid.above == "" and fits(laid.card) and laid.card["main_title"]["desc"] == "下列属于党的纪律处分的有（）。"
    assert laid.card["checkbox"]["option_list"][1]["text"] == "B. 严重警告"


def test_a_whole_contest_sends_only_cards_that_fit(tmp_path: Path) -> None:
    from datetime import timedelta

    from helpers import enrol

    clock = ManualClock(T0)

    async def scenario() -> None:
        async with FakeWeComServer() as server, running_bot(tmp_path, clock, server) as (app, adapter):
            enrol(app, "u1", "u2", branch="g1", channel="wecom")
            await server.wait_for(reply_to(await server.say("u1", f"{BOT} 开始竞赛 测试题库 3 5秒")))
            for number in range(1, 4):  # each question's deadline once its card is out
                pushes = 2 * number - 1  # Q1's card; then each step's reveal and card
                await server.wait_until(lambda: len(server.frames("aibot_send_msg")) >= pushes,  # noqa: B023
                                        what=f"question {number}")
                clock.set(clock.now() + timedelta(seconds=5))
            await server.wait_for(lambda f: pushed("markdown")(f) and "竞赛结束" in content(f))
            sent = [card_of(f) for f in server.frames("aibot_send_msg") if f["body"]["msgtype"] == "template_card"]
            assert len(sent) == 3 and all(fits(card) for card in sent)

    run(scenario())
