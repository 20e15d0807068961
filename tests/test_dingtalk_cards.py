"""DingTalk question cards, reconnects, bad frames, custom robot pushes and the roster link: the
whole bot and the real `dingtalk_stream` client against the fake gateway on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from fakes.dingtalk_gateway import FakeDingTalkGateway, text_of
from helpers import T0, Sleeps, enrol, make_app, serving
from sqlalchemy import text
from test_dingtalk import answer_for, has, run, say, settled

from bot.app import App
from bot.channels.dingtalk import cards
from bot.channels.dingtalk.channel import DingTalkChannel, WebhookRobot
from bot.channels.dingtalk.taps import CardBook
from bot.clock import ManualClock
from bot.messages import Chat, Incoming, Outgoing
from bot.services.roster import import_roster
from bot.services.roster_file import read_roster

TEMPLATE = "tpl-quiz.schema"
# questions that have buttons (单选, 判断), from the test bank
CARD_BANK_YAML = """\
name: 按钮题库
questions:
  - {type: single, question: 党的最高领导机关是（）。,
     options: [党的全国代表大会和它所产生的中央委员会, 中央政治局, 中央书记处], answer: A}
  - {type: single, question: 预备党员的预备期为（）。, options: [半年, 一年, 两年, 三年], answer: B}
  - {type: judge, question: 党员有退党的自由。, answer: 对}
  - {type: judge, question: 留党察看最长不超过一年。, answer: 错}
"""


@contextlib.asynccontextmanager
async def bot_with_cards(tmp_path: Path, clock: ManualClock, gateway: FakeDingTalkGateway, *,
                         template: str = TEMPLATE, sleeps: Sleeps | None = None,
                         **kw: Any) -> AsyncIterator[tuple[App, DingTalkChannel]]:
    (tmp_path / "banks").mkdir(exist_ok=True)
    (tmp_path / "banks" / "cards.yaml").write_text(CARD_BANK_YAML, encoding="utf-8")
    app = make_app(tmp_path, clock)
    if sleeps is not None:  # the reconnects wait on the test's sleeps
        kw |= {"sleep": sleeps.sleep, "clock": sleeps.clock}
    adapter = DingTalkChannel(app=app, client_id="ding-id", client_secret="ding-secret",
                              openapi_endpoint=gateway.endpoint, card_template_id=template,
                              backoff_base=0.05, backoff_max=0.2, seed=1, **kw)
    # as `studybot run`: the outbox is the async worker's (run_once below)
    async with serving(app, adapter, service=True):
        await gateway.wait_connected()
        yield app, adapter


def params(card: dict[str, Any]) -> dict[str, str]:
    return card["cardData"]["cardParamMap"]


def numbered(n: int) -> Any:
    return lambda card: f"第 {n}/" in params(card)["stem"]


async def card_view(gateway: FakeDingTalkGateway, user: str, card: dict[str, Any], choice: str,
                    **kw: Any) -> dict[str, str]:
    """`user` taps `choice` on `card`: what their card shows afterwards (its private data, which comes with
    the tap's ack: no update request of its own)."""
    updates = len(gateway.card_updates)
    ack = await gateway.wait_ack(await gateway.tap(user, card, choice, **kw))
    response = json.loads(ack["data"])["response"]
    assert response["cardUpdateOptions"]["updatePrivateDataByKey"] is True
    assert not any("privateData" in u for u in gateway.card_updates[updates:])
    view: dict[str, str] = response["userPrivateData"]["cardParamMap"]
    assert view["answered"] == "true"  # nothing left to press for this member
    return view


def group_sent(gateway: FakeDingTalkGateway) -> tuple[int, int, int]:
    """How much the group has been sent so far: session webhook replies, OpenAPI sends, cards."""
    return gateway.reply_count(), gateway.send_count(), len(gateway.card_sends)


async def nothing_to_the_group_since(gateway: FakeDingTalkGateway, mark: tuple[int, int, int]) -> None:
    """Once every frame before has been handled (a 帮助 answered), the group got nothing but that answer."""
    await settled(gateway, after=mark[0])
    assert group_sent(gateway) == (mark[0] + 1, mark[1], mark[2]), [text_of(b) for _, b in
                                                                   gateway.replies_since(mark[0])]


def answers_stored(app: App) -> list[tuple[str, int, str]]:
    with app.db.session() as session:
        return [tuple(r) for r in session.execute(text(
            "SELECT m.name, a.question_index, a.answer FROM contest_answer a JOIN member m ON m.id = a.member_id "
            "ORDER BY a.id")).all()]


def test_a_contest_played_by_card_taps_and_typed_answers(tmp_path: Path) -> None:
    clock = ManualClock(T0)

    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, bot_with_cards(tmp_path, clock, gateway) as (app, adapter):
            assert {"type": "CALLBACK", "topic": cards_topic()} in gateway.opens[0]["subscriptions"]
            # the roster: u1 (书记: a scored contest), u2 and u3; a question waits for all three
            enrol(app, "u1", "u2", "u3", channel="dingtalk")
            await say(gateway, "u1", "开始竞赛 按钮题库 3 5秒")
            await gateway.wait_for(has("发起了知识竞赛"))
            q1 = await gateway.wait_for_card(numbered(1))
            assert q1["cardTemplateId"] == TEMPLATE and q1["callbackType"] == "STREAM"
            assert q1["openSpaceId"] == "dtv1.card//IM_GROUP.cid-g1"
            assert q1["imGroupOpenDeliverModel"] == {"robotCode": "ding-id"}
            assert all(isinstance(v, str) for v in params(q1).values())  # DingTalk takes strings only
            labels = [o["label"] for o in json.loads(params(q1)["options"])]
            a1 = answer_for(params(q1)["stem"])
            assert a1 in labels and params(q1)["closed"] == "false"
            wrong = next(label for label in labels if label != a1)

            # u1 taps the right button: their card shows their answer; then another: it still shows the first;
            # u2 taps a wrong one (the same tap delivered twice); none of it reaches the group
            mark = group_sent(gateway)
            view = await card_view(gateway, "u1", q1, a1)
            assert view["my_status"].startswith(f"已作答：{a1}。") and "答案揭晓前不可更改" in view["my_status"]
            again = await card_view(gateway, "u1", q1, wrong)
            assert again["my_status"].startswith(f"已作答：{a1}。") and "以第一次作答为准" in again["my_status"]
            for _ in range(2):
                ack = await gateway.wait_ack(await gateway.tap("u2", q1, wrong))
                status = json.loads(ack["data"])["response"]["userPrivateData"]["cardParamMap"]["my_status"]
                assert status.startswith(f"已作答：{wrong}。")
            await nothing_to_the_group_since(gateway, mark)
            assert answers_stored(app) == [("u1", 0, a1), ("u2", 0, wrong)]

            mark = gateway.reply_count()
            await say(gateway, "u3", a1)
            # everyone answered: the card closes with the right answer, one message reveals it with Q2's card
            closed = await gateway.wait_for_update(lambda u: u.get("cardData", {}).get("cardParamMap", {})
                                                   .get("closed") == "true")
            assert closed["outTrackId"] == q1["outTrackId"]
            assert params(closed)["status"].startswith(f"本题已结束，正确答案：{a1}")
            # every member sees it, those who tapped too (their private data holds only their own variables)
            for user, tapped in (("u1", a1), ("u2", wrong)):
                seen = gateway.view(user, q1["outTrackId"])
                assert seen["status"].startswith(f"本题已结束，正确答案：{a1}") and seen["closed"] == "true"
                assert seen["my_status"].startswith(f"已作答：{tapped}。")
            assert gateway.view("u3", q1["outTrackId"])["my_status"] == ""
            q2 = await gateway.wait_for_card(numbered(2))
            reveal = params(q2)["stem"]
            assert "第 1 题答案" in reveal and "答对 2 人" in reveal
            assert "u2" not in reveal.split("答对")[1].split("\n")[0]
            assert not any("第 1 题答案" in text_of(b) for _, b in gateway.replies_since(mark))  # not twice

            # a late tap on Q1's card answers nothing: the member's card says so, the group gets nothing
            mark = group_sent(gateway)
            stale = await card_view(gateway, "u2", q1, a1)
            assert stale["my_status"].startswith("第 1 题已经结束") and not stale["my_status"].startswith("已作答")
            await nothing_to_the_group_since(gateway, mark)

            # Q2 by the timer: one tap, then the deadline
            view = await card_view(gateway, "u1", q2, answer_for(params(q2)["stem"].split("第 2/3 题")[1]))
            assert view["my_status"].startswith("已作答：")
            clock.set(clock.now() + timedelta(seconds=5))
            await gateway.wait_for_update(lambda u: u["outTrackId"] == q2["outTrackId"] and "cardData" in u)
            q3 = await gateway.wait_for_card(numbered(3))
            await adapter.drain()
            mark = gateway.reply_count()
            await say(gateway, "u1", "结束竞赛")
            await gateway.wait_for_update(lambda u: u["outTrackId"] == q3["outTrackId"] and "cardData" in u)
            _, results = await gateway.wait_for(has("竞赛已提前结束"), after=mark)
            assert "🥇 u1" in text_of(results)
            assert [(name, index) for name, index, _ in answers_stored(app)] == [
                ("u1", 0), ("u2", 0), ("u3", 0), ("u1", 1)]  # the repeats and the late tap stored nothing

            mark = gateway.reply_count()
            await say(gateway, "u3", "排行榜")
            _, ranking = await gateway.wait_for(has("u3"), after=mark)
            assert text_of(ranking).index("u1") < text_of(ranking).index("u3")
            assert len(gateway.card_sends) == 3

    run(scenario())


def test_a_tap_answered_after_its_ack_updates_the_members_card_through_the_api(tmp_path: Path) -> None:
    """The note goes in the callback's response when it is ready in time; when the ack had to leave
    without it (`tap_wait` 0 here), the member's card is updated with a request of its own."""
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, bot_with_cards(tmp_path, ManualClock(T0), gateway,
                                                                    tap_wait=0) as (app, adapter):
            def core(incoming: Incoming) -> list[Outgoing]:
                return [Outgoing(incoming.chat, "已记录", private_to=incoming.sender.user_id,
                                 about=incoming.question_key or "", answer=incoming.button or "")]

            app.handle = core  # type: ignore[method-assign]  # the adapter is under test
            adapter.send(Outgoing(Chat("dingtalk", "cid-g1", True, "g1"), "第 1 题\nA. 甲\nB. 乙", choices=("A", "B"),
                                  key="contest:3:q0"))
            card = await gateway.wait_for_card(lambda c: True)
            ack = await gateway.wait_ack(await gateway.tap("u1", card, "B", space="cid-g1"))
            assert json.loads(ack["data"])["response"] == {}  # an object, as documented
            update = await gateway.wait_for_update(lambda u: "u1" in u.get("privateData", {}))
            assert update["outTrackId"] == card["outTrackId"]
            assert update["privateData"]["u1"]["cardParamMap"] == {"my_status": "已作答：B。已记录", "answered": "true"}

    run(scenario())


def cards_topic() -> str:
    return "/v1.0/card/instances/callback"


def test_without_card_permission_the_question_goes_as_text(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, bot_with_cards(tmp_path, ManualClock(T0), gateway):
            gateway.card_fail = True
            await say(gateway, "u1", "开始竞赛 按钮题库 1 30秒")
            _, question = await gateway.wait_for(has("第 1/1 题"))
            assert "群里作答请先 @我，例如「@我 " in text_of(question)
            assert gateway.card_sends == []

    run(scenario())


def test_without_a_template_questions_are_text_with_the_answer_hint(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, bot_with_cards(tmp_path, ManualClock(T0), gateway, template=""):
            await say(gateway, "u1", "开始竞赛 按钮题库 1 30秒")
            _, question = await gateway.wait_for(has("第 1/1 题"))
            assert "群里作答请先 @我，例如「@我 " in text_of(question) and gateway.token_requests == []

    run(scenario())


def test_a_dropped_connection_reconnects_with_backoff_and_the_contest_goes_on(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    sleeps = Sleeps()

    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, bot_with_cards(tmp_path, clock, gateway,
                                                                    sleeps=sleeps) as (app, adapter):
            enrol(app, "u1", "u2", channel="dingtalk")  # the question waits for both
            await say(gateway, "u1", "开始竞赛 按钮题库 2 30秒")
            q1 = await gateway.wait_for_card(numbered(1))
            await gateway.drop()
            delay = await sleeps.waiting()
            assert 0.025 <= delay <= 0.05  # the first delay: half to all of the base
            assert len(gateway.opens) == 1  # and nothing tried before it ends
            await sleeps.end()
            await gateway.wait_connected(timeout=5)
            assert len(gateway.opens) == 2
            # the contest goes on over the new connection
            a1 = answer_for(params(q1)["stem"])
            assert (await card_view(gateway, "u1", q1, a1))["my_status"].startswith(f"已作答：{a1}。")
            assert gateway.connections == 2
            mark = gateway.reply_count()
            await say(gateway, "u2", a1)
            q2 = await gateway.wait_for_card(numbered(2))
            assert "第 1 题答案" in params(q2)["stem"] and "答对 2 人" in params(q2)["stem"]
            assert gateway.reply_count() == mark  # the reveal came with Q2's card, not twice

    run(scenario())


def test_a_failing_gateway_is_retried_with_growing_delays_never_in_a_tight_loop(tmp_path: Path) -> None:
    sleeps = Sleeps()

    async def scenario() -> None:
        async with FakeDingTalkGateway(client_secret="other") as gateway:  # refuses our credentials
            app = make_app(tmp_path, ManualClock(T0))
            adapter = DingTalkChannel(app=app, client_id="ding-id", client_secret="ding-secret",
                                      openapi_endpoint=gateway.endpoint, backoff_base=0.02, backoff_max=0.16, seed=3,
                                      sleep=sleeps.sleep, clock=sleeps.clock)
            await adapter.start()
            try:
                for attempt in range(6):  # one attempt per wait, the waits doubling to the cap
                    delay = await sleeps.waiting()
                    ceiling = min(0.16, 0.02 * 2 ** attempt)
                    assert ceiling / 2 <= delay <= ceiling and len(gateway.opens) == attempt + 1
                    await sleeps.end()
                await gateway.wait_until(lambda: len(gateway.opens) == 7, what="the seventh attempt")
            finally:
                await adapter.stop()
                app.close()

    run(scenario())


def test_unknown_topics_and_malformed_frames_are_acked_or_ignored_and_the_bot_goes_on(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, bot_with_cards(tmp_path, ManualClock(T0), gateway):
            unknown = await gateway.push({"a": 1}, topic="/v1.0/some/other/topic")
            assert (await gateway.wait_ack(unknown))["code"] == 404
            await gateway.send_raw("{not json")  # no messageId to ack: logged and ignored
            bad_data = "stream-bad-data"
            frame = {"specVersion": "1.0", "type": "CALLBACK", "data": "{oops",
                     "headers": {"messageId": bad_data, "topic": "/v1.0/im/bot/messages/get"}}
            await gateway.send_raw(json.dumps(frame))
            assert (await gateway.wait_ack(bad_data))["code"] == 400
            no_card = await gateway.push({"userId": "u1"}, topic=cards_topic())  # a tap without its card
            assert (await gateway.wait_ack(no_card))["code"] == 200
            await say(gateway, "u1", "帮助")
            await gateway.wait_for(has("开始竞赛"))
            assert len(gateway.opens) == 1  # the connection survived all of it
            assert gateway.card_updates == []

    run(scenario())


def test_pushes_without_a_session_webhook_go_through_the_groups_custom_robot(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway:
            robots = {"第一党支部": WebhookRobot("robottoken0123456789abcdef", gateway.robot_secret)}
            async with bot_with_cards(tmp_path, ManualClock(T0), gateway, template="", webhooks=robots,
                                      webhook_base_url=gateway.endpoint) as (app, adapter):
                chat = Chat("dingtalk", "cid-never-seen", True, "第一党支部")
                app.send([Outgoing(chat, "📚 本周学习：" + "学习内容。" * 2000,
                                   markdown="## 本周学习\n" + "内容\n" * 3000)])
                await adapter.drain()
                assert len(gateway.robot_sends) >= 2  # long markdown split, none cut off
                for query, body, signed in gateway.robot_sends:
                    assert signed and query["access_token"] == "robottoken0123456789abcdef"
                    assert body["msgtype"] == "markdown" and len(body["markdown"]["text"].encode()) <= 5000
                assert sum(b["markdown"]["text"].count("内容") for _, b, _ in gateway.robot_sends) == 3000
                assert gateway.openapi_sends == [] and gateway.reply_count() == 0

    run(scenario())


def test_a_dingtalk_staff_id_is_the_roster_members_dingtalk_account(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, bot_with_cards(tmp_path, ManualClock(T0), gateway) as (app, _):
            roster = tmp_path / "members.csv"
            roster.write_text("姓名,支部,角色,钉钉账号\n张三,第二党支部,书记,dd-zs\n", encoding="utf-8")
            import_roster(app.db, rows=read_roster(roster), now=T0, label="members.csv")
            await say(gateway, "dd-zs", "我的积分", nick="小张")  # DingTalk shows a nickname; the roster knows better
            _, body = await gateway.wait_for(has("的党建积分"))
            assert text_of(body).startswith("📊 张三 的党建积分")
            with app.db.session() as session:
                assert session.exec(text("SELECT COUNT(*) FROM member")).one()[0] == 1  # no second 张三 (小张)

    run(scenario())


def test_parse_tap_reads_params_or_action_ids_and_refuses_what_is_not_an_option() -> None:
    def data(private: Any) -> dict[str, Any]:
        return {"outTrackId": "contest-1-q0.abc", "userId": "u1", "content": json.dumps({"cardPrivateData": private})}

    assert cards.parse_tap(data({"params": {"choice": "b"}})).choice == "B"
    assert cards.parse_tap(data({"actionIds": ["对"], "params": {}})).choice == "对"
    assert cards.parse_tap(data({"actionIds": ["more"], "params": {"choice": "Z"}})).choice == ""
    assert cards.parse_tap({"outTrackId": "x", "content": "{}"}) is None
    assert cards.parse_tap("nonsense") is None
    # the question's key reads back from the card's id; an id we did not make reaches the core as it came
    track = cards.out_track_id("contest:12:q3")
    assert track.startswith("contest_3A12_3Aq3.") and len(track) <= cards.OUT_TRACK_MAX
    assert cards.question_of(track) == "contest:12:q3" and cards.question_of(cards.out_track_id("")) == ""
    assert cards.question_of("forged_zz.1") == "forged_zz.1" and cards.question_of("nothing") == "nothing"


def test_an_outbox_push_is_confirmed_by_the_openapi_or_retried(tmp_path: Path) -> None:
    from bot.storage.outbox import Push, enqueue

    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, bot_with_cards(tmp_path, ManualClock(T0), gateway,
                                                                    template="") as (app, adapter):
            now = app.clock.now()
            with app.db.session() as session:
                enqueue(session=session, now=now, pushes=[Push(
                    key="study:1", kind="study", channel="dingtalk", chat_id="cid-quiet", chat_name="第二党支部",
                    is_group=True, text="📖 三会一课制度要点", due_at=now)])
                session.commit()
            gateway.revoke_tokens()
            gateway.client_secret = "changed"  # the token cannot be fetched: the push stays pending
            await app.schedule.outbox.run_once()
            with app.db.session() as session:
                from sqlmodel import select

                from bot.storage.models import OutboxRow
                row = session.exec(select(OutboxRow)).one()
            assert (row.status, row.attempts) == ("pending", 1) and "invalidClientIdOrSecret" in row.last_error
            gateway.client_secret = "ding-secret"
            app.clock.set(now + timedelta(minutes=5))
            await app.schedule.outbox.run_once()
            path, _, body = await gateway.wait_for_send(lambda b: "三会一课" in b["msgParam"])
            assert path == "/v1.0/robot/groupMessages/send" and body["openConversationId"] == "cid-quiet"
            with app.db.session() as session:
                assert session.exec(select(OutboxRow)).one().status == "sent"

    run(scenario())


def test_a_tap_on_a_card_sent_before_a_restart_leaves_the_group_in_its_branch(tmp_path: Path) -> None:
    """After a restart the adapter no longer knows its cards: a tap names only the conversation, not its
    title. The group keeps its name and its branch (the title's), and the tap answers the question."""
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, bot_with_cards(tmp_path, ManualClock(T0),
                                                                    gateway) as (app, adapter):
            enrol(app, "u1", "u2", channel="dingtalk")
            await say(gateway, "u1", "开始竞赛 按钮题库 2 30秒")
            card = await gateway.wait_for_card(numbered(1))
            a1 = answer_for(params(card)["stem"])
            # what a restart forgets: the cards sent, and who is in which group (those entries also expire)
            adapter._book = CardBook()
            app.dispatcher.forget_directory()
            view = await card_view(gateway, "u2", card, a1, space="cid-g1")
            assert view["my_status"].startswith(f"已作答：{a1}。")
            with app.db.session() as session:
                groups = session.execute(text("SELECT g.name, b.name FROM chat_group g "
                                              "JOIN branch b ON b.id = g.branch_id")).all()
            assert [tuple(g) for g in groups] == [("第一党支部", "第一党支部")]
            # the contest goes on in that branch: u1's answer closes question 1, both right
            await say(gateway, "u1", a1)
            q2 = await gateway.wait_for_card(numbered(2))
            assert "答对 2 人" in params(q2)["stem"]

    run(scenario())
