"""DingTalk against the fake's limits (issue 13): a value over 1 KB, the monthly API quota, the card map
kept across a restart, acks in a burst of taps. The whole adapter and the real `dingtalk_stream` client."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from before_alembic import forget_alembic
from fakes.dingtalk_gateway import FakeDingTalkGateway, text_of
from helpers import T0, enrol
from sqlalchemy import text
from sqlmodel import select
from test_dingtalk import answer_for, has, run, say
from test_dingtalk_cards import bot_with_cards, card_view, numbered, params

from bot.app import App
from bot.channels.dingtalk.taps import CardBook
from bot.clock import ManualClock
from bot.messages import Chat, Outgoing
from bot.services.roster import import_roster
from bot.services.roster_file import RosterRow
from bot.storage.db import Database
from bot.storage.metered import count_call, month_calls
from bot.storage.models import OutboxRow

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


def _enrol_with_admin(app: App, name: str) -> None:
    """u1 (书记) and u2 on the roster, and `name`, an admin, out of every branch's count."""
    rows = [RosterRow(2, "u1", "第一党支部", "secretary", {"dingtalk": "u1"}),
            RosterRow(3, "u2", "第一党支部", "member", {"dingtalk": "u2"}),
            RosterRow(4, name, "第二党支部", "admin", {"dingtalk": name})]
    import_roster(app.db, rows=rows, now=app.clock.now(), label="roster.csv", sleep=lambda _: None)


def _outbox(app: App) -> list[tuple[str, str, str]]:
    with app.db.session() as session:
        return [(r.key, r.chat_id, r.text) for r in session.exec(select(OutboxRow)).all()]


def test_metered_calls_are_counted_the_admins_warned_at_80_percent_and_cards_stop_at_90(tmp_path: Path) -> None:
    clock = ManualClock(T0)

    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, bot_with_cards(tmp_path, clock, gateway,
                                                                    quota_per_month=10) as (app, adapter):
            _enrol_with_admin(app, "boss")
            with app.db.session() as session:  # earlier this month (a restart keeps the figure)
                count_call(session=session, channel="dingtalk", day=(T0 - timedelta(days=1)).date(), calls=7)
                session.commit()
            await say(gateway, "u1", "开始竞赛 按钮题库 2 30秒")
            q1 = await gateway.wait_for_card(numbered(1))  # the 8th call of the month: 80%
            assert [(key.rsplit(":", 2)[0], chat) for key, chat, _ in _outbox(app)] == [
                (f"quota:dingtalk:{T0:%Y-%m}", "boss")]
            assert "超过月度额度 10 次的 80%" in _outbox(app)[0][2]
            a1 = answer_for(params(q1)["stem"])
            await card_view(gateway, "u1", q1, a1)  # in the callback's response: no call
            mark = gateway.reply_count()
            await say(gateway, "u2", a1)
            await gateway.wait_for_update(lambda u: u["outTrackId"] == q1["outTrackId"])  # the 9th: 90%
            _, q2 = await gateway.wait_for(has("第 2/2 题"), after=mark)  # as text, by the session webhook
            assert "群里作答请先 @我" in text_of(q2) and len(gateway.card_sends) == 1
            assert gateway.metered == 2 and adapter.quota.figures() == (2, 9)
            with app.db.session() as session:
                assert month_calls(session=session, channel="dingtalk", day=T0.date()) == 9
            assert len(_outbox(app)) == 1  # warned once

    run(scenario())


def test_once_dingtalk_says_the_quota_is_used_up_questions_go_as_text(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, bot_with_cards(tmp_path, ManualClock(T0), gateway):
            gateway.monthly_limit = 0  # every metered call: 403 ApiCountLimitForOrg
            await say(gateway, "u1", "开始竞赛 按钮题库 2 30秒")
            _, q1 = await gateway.wait_for(has("第 1/2 题"))
            tried = gateway.metered
            assert tried >= 1 and gateway.card_sends == []
            mark = gateway.reply_count()
            await say(gateway, "u1", "下一题")
            _, q2 = await gateway.wait_for(has("第 2/2 题"), after=mark)
            assert gateway.metered == tried  # no card tried again this month

    run(scenario())


def test_a_tap_without_its_conversation_after_a_restart_finds_the_group_in_the_database(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, bot_with_cards(tmp_path, ManualClock(T0),
                                                                    gateway) as (app, adapter):
            enrol(app, "u1", "u2", channel="dingtalk")
            await say(gateway, "u1", "开始竞赛 按钮题库 2 30秒")
            card = await gateway.wait_for_card(numbered(1))
            a1 = answer_for(params(card)["stem"])
            await adapter.drain()  # the card delivered (and stored)
            # what a restart forgets: the cards in memory
            adapter._outbound._book = adapter._book = CardBook(app.db, "dingtalk", app.clock.now)
            app.dispatcher.forget_directory()
            assert (await card_view(gateway, "u2", card, a1))["my_status"].startswith(f"已作答：{a1}。")  # no spaceId
            await say(gateway, "u1", a1)  # both answered: the card closes, found in the database too
            closed = await gateway.wait_for_update(lambda u: u["outTrackId"] == card["outTrackId"])
            assert params(closed)["closed"] == "true"
            assert "答对 2 人" in params(await gateway.wait_for_card(numbered(2)))["stem"]

    run(scenario())


def test_schema_5_adds_the_metered_and_card_tables_to_a_version_4_database(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/old.db")
    db.create_schema()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE metered_call")
        conn.exec_driver_sql("DROP TABLE card_sent")
        conn.exec_driver_sql("UPDATE schema_version SET version = 4")
        forget_alembic(conn)  # made before Alembic
    db.create_schema()
    assert db.schema().up_to_date  # and every later step
    with db.session() as session:
        count_call(session=session, channel="dingtalk", day=T0.date())
        count_call(session=session, channel="dingtalk", day=T0.date(), calls=2)
        session.commit()
        assert month_calls(session=session, channel="dingtalk", day=T0.date()) == 3
    db.dispose()


def test_when_the_core_is_behind_taps_are_acked_at_once_and_their_cards_updated_together(tmp_path: Path) -> None:
    """A burst: the taps queued ahead would take the core longer than an ack may wait, so each ack leaves
    at once (an object, no card change) and the members' cards change through the card API, many members
    in one update."""
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway, bot_with_cards(tmp_path, ManualClock(T0),
                                                                    gateway) as (app, adapter):
            users = [f"m{i}" for i in range(6)]
            enrol(app, "u1", *users, channel="dingtalk")
            await say(gateway, "u1", "开始竞赛 按钮题库 1 30秒")
            card = await gateway.wait_for_card(numbered(1))
            a1 = answer_for(params(card)["stem"])
            adapter._tap_time = 10.0  # as measured in a burst: every tap queued is 10 s of the core's work
            taps = [await gateway.tap(user, card, a1) for user in users]
            for tap in taps:
                assert json.loads((await gateway.wait_ack(tap))["data"])["response"] == {}
            await gateway.wait_until(lambda: all(gateway.view(u, card["outTrackId"]).get("answered") == "true"
                                                 for u in users), what="every member's card updated")
            assert all(gateway.view(u, card["outTrackId"])["my_status"].startswith(f"已作答：{a1}") for u in users)
            updates = [u for u in gateway.card_updates if "privateData" in u]
            assert 1 <= len(updates) < len(users)  # gathered: fewer calls than taps
            assert answers_stored_count(app) == len(users)

    run(scenario())


def answers_stored_count(app: App) -> int:
    with app.db.session() as session:
        return int(session.exec(text("SELECT COUNT(*) FROM contest_answer")).one()[0])  # type: ignore[call-overload]
