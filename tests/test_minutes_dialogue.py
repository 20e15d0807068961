"""会议记录 编号 in a private chat, end to end in the in-process app: the five questions, 跳过, 同上, 取消, the
record confirmed and stored whole, a dialogue left and resumed (or restarted), resumed after a restart of the
bot, an existing record shown and changed, and the bad inputs (not started, another branch, not a manager,
an unknown number)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from helpers import T0, RecordingChannel, group_msg, make_app, private_msg, texts
from sqlmodel import select

from bot.app import App
from bot.clock import ManualClock
from bot.storage.branches import get_or_create_branch
from bot.storage.models_records import MinutesDraft, MinutesRow
from bot.storage.people import upsert_member

FIRST, SECOND = "第一党支部", "第二党支部"
AFTER = datetime(2026, 3, 3, 16, 0)  # meeting 1 (支委会, 3月3日 14:30) has started


def say(app: App, name: str, words: str) -> str:
    [reply] = texts(app.handle(private_msg(name, words, at=app.clock.now())))
    return reply


def minutes(app: App) -> list[MinutesRow]:
    with app.db.session() as session:
        return list(session.exec(select(MinutesRow)))


def drafts(app: App) -> list[MinutesDraft]:
    with app.db.session() as session:
        return list(session.exec(select(MinutesDraft)))


def people(app: App) -> None:
    """第一党支部: 张三 (书记), 钱委员 (委员), 李四; 第二党支部: 王书记; 赵管理 (管理员 of 第二党支部)."""
    with app.db.session() as session:
        for name, branch, role in [("张三", FIRST, "secretary"), ("钱委员", FIRST, "committee"),
                                   ("李四", FIRST, "member"), ("王书记", SECOND, "secretary"),
                                   ("赵管理", SECOND, "admin")]:
            row = get_or_create_branch(session=session, name=branch)
            upsert_member(session=session, name=name, branch_id=row.id, role=role, identities={"local": name}, now=T0)
        session.commit()
    app.dispatcher.forget_directory()


@pytest.fixture
def branch(app: App, clock: ManualClock) -> App:
    """Meeting 1: 第一党支部's 支委会 on 3月3日 14:30 (topic 学习党章), arranged in its group; now 3月3日 16:00."""
    people(app)
    [arranged] = texts(app.handle(group_msg("张三", "安排会议 支委会 2026-03-03 14:30 三楼会议室 学习党章", at=T0)))
    assert arranged.startswith("✅ 已安排支部委员会会议（编号 1）")
    clock.set(AFTER)
    return app


def test_the_dialogue_asks_five_questions_and_saves_the_record_whole_on_confirm(branch: App) -> None:
    started = say(branch, "张三", "会议记录 1")
    assert started.startswith("📝 开始填写会议记录：[1] 3月3日（周二）14:30 支部委员会会议，三楼会议室，主题：学习党章")
    assert started.endswith("1/5 主持人是谁？\n（回复「跳过」留空）")
    assert say(branch, "张三", "张三").startswith("✔ 主持人：张三\n\n2/5 记录人是谁？")
    # an answer that reads like a command is an answer while the dialogue runs
    assert say(branch, "张三", "帮助").startswith("✔ 记录人：帮助\n\n3/5 会议的议程/主题是什么？\n"
                                               "（回复「同上」或「跳过」沿用会议主题：学习党章）")
    assert minutes(branch) == [] and len(drafts(branch)) == 1  # written per answer, nothing in the record yet
    assert say(branch, "张三", "同上").startswith("✔ 议程/主题保留：学习党章\n\n4/5 会议的主要内容是什么？")
    assert say(branch, "张三", "学习党章第二章，逐条讨论。").startswith("✔ 主要内容：学习党章第二章，逐条讨论。\n\n5/5")
    review = say(branch, "张三", "跳过")
    assert review.startswith("✔ 决议事项留空。\n\n请核对会议记录 [1]")
    assert ("主持人：张三\n记录人：帮助\n议程/主题：学习党章\n主要内容：学习党章第二章，逐条讨论。\n"
            "决议事项：（未填）") in review
    assert review.endswith("回复「确认」保存，回复「重新开始」从头填写，回复「取消」放弃。")
    assert say(branch, "张三", "好的") == "请回复「确认」保存这份会议记录，或回复「重新开始」从头填写、「取消」放弃。"
    assert minutes(branch) == []
    assert say(branch, "张三", "确认") == ("✅ 已保存编号 1 的会议记录，这次支部委员会会议计为已召开。"
                                         "发送「会议记录 1」可查看或修改。")
    [row] = minutes(branch)
    assert (row.chair, row.recorder, row.agenda, row.content, row.decisions, row.recorded_by) == (
        "张三", "帮助", "学习党章", "学习党章第二章，逐条讨论。", "", "张三")
    assert row.recorded_at == row.updated_at == AFTER and drafts(branch) == []
    # the dialogue is over: 帮助 is a command again
    assert say(branch, "张三", "帮助").startswith("👋 我是")


def test_skip_on_the_agenda_keeps_the_meetings_topic_and_cancel_saves_nothing(branch: App) -> None:
    say(branch, "钱委员", "会议记录 1")
    say(branch, "钱委员", "跳过")
    assert say(branch, "钱委员", "同上") == "这一项没有可沿用的内容。请直接回复记录人，或回复「跳过」留空。"
    say(branch, "钱委员", "钱委员")
    assert say(branch, "钱委员", "跳过").startswith("✔ 议程/主题沿用会议主题：学习党章")
    assert say(branch, "钱委员", "取消") == "已取消，会议记录没有保存。"
    assert minutes(branch) == [] and drafts(branch) == []
    assert say(branch, "钱委员", "取消").startswith("没有看懂「取消」")  # no dialogue any more


def test_a_dialogue_left_halfway_is_resumed_or_restarted(branch: App, clock: ManualClock) -> None:
    say(branch, "张三", "会议记录 1")
    say(branch, "张三", "张三")
    clock.set(AFTER + timedelta(hours=3))  # the member stopped: the dialogue is dormant
    assert say(branch, "张三", "帮助").startswith("👋 我是")  # commands work again
    waiting = say(branch, "张三", "李四记录的")  # text nothing else takes: the draft speaks up
    assert waiting == ("您有一份尚未完成的会议记录（编号 1，已填 1/5 项）。\n"
                       "回复「继续」接着填写，回复「重新开始」从头填写，回复「取消」放弃。")
    assert say(branch, "张三", "会议记录 1") == waiting
    assert say(branch, "张三", "继续") == "好的，接着填写编号 1 的会议记录。\n\n2/5 记录人是谁？\n（回复「跳过」留空）"
    say(branch, "张三", "李四")
    clock.set(AFTER + timedelta(days=1))
    assert say(branch, "张三", "会议记录 1").startswith("您有一份尚未完成的会议记录（编号 1，已填 2/5 项）")
    assert say(branch, "张三", "重新开始").endswith("1/5 主持人是谁？\n（回复「跳过」留空）")
    for answer in ("王五", "李四", "同上", "传达上级精神", "通过发展对象名单"):
        say(branch, "张三", answer)
    say(branch, "张三", "确认")
    [row] = minutes(branch)
    assert (row.chair, row.recorder, row.agenda, row.decisions) == ("王五", "李四", "学习党章", "通过发展对象名单")


def test_a_dialogue_goes_on_after_the_bot_restarts(tmp_path, database_url, branch: App, clock: ManualClock) -> None:
    say(branch, "张三", "会议记录 1")
    say(branch, "张三", "张三")
    say(branch, "张三", "李四")
    branch.close()
    again = make_app(tmp_path, clock, database={"url": database_url})
    again.add_channel(RecordingChannel())
    again.start()
    try:
        clock.set(clock.now() + timedelta(minutes=5))
        assert say(again, "张三", "学习").startswith("✔ 议程/主题：学习\n\n4/5")  # 学习 would be a command
        say(again, "张三", "内容")
        say(again, "张三", "决议")
        assert say(again, "张三", "确认").startswith("✅ 已保存编号 1 的会议记录")
        [row] = minutes(again)
        assert (row.chair, row.recorder, row.agenda, row.content, row.decisions) == ("张三", "李四", "学习", "内容",
                                                                                     "决议")
    finally:
        again.close()


def test_a_saved_record_is_shown_and_changed_with_who_changed_it(branch: App, clock: ManualClock) -> None:
    say(branch, "张三", "会议记录 1")
    for answer in ("张三", "李四", "同上", "学习党章", "无", "确认"):
        say(branch, "张三", answer)
    clock.set(clock.now() + timedelta(days=1))
    shown = say(branch, "钱委员", "会议记录 1")
    assert shown.startswith("📋 会议记录 [1]")
    assert ("主持人：张三\n记录人：李四\n议程/主题：学习党章\n主要内容：学习党章\n决议事项：无\n"
            "记录于 2026-03-03 16:00（张三）") in shown
    assert shown.endswith("如需修改，请回复「修改」（原记录将被替换，并记下修改人和时间）。")
    assert say(branch, "钱委员", "修改").endswith("1/5 主持人是谁？\n（回复「同上」保留：张三）\n（回复「跳过」留空）")
    for answer in ("同上", "钱委员", "同上", "同上", "通过学习计划"):
        say(branch, "钱委员", answer)
    assert say(branch, "钱委员", "确认").startswith("✅ 已更新编号 1 的会议记录")
    [row] = minutes(branch)
    assert (row.chair, row.recorder, row.decisions, row.recorded_by) == ("张三", "钱委员", "通过学习计划", "钱委员")
    assert (row.recorded_at, row.updated_at) == (AFTER, AFTER + timedelta(days=1))
    assert "首次记录于 2026-03-03 16:00，最后由 钱委员 修改于 2026-03-04 16:00" in say(branch, "张三", "会议记录 1")
    # a shown record not taken up: the next message goes its usual way
    assert say(branch, "张三", "帮助").startswith("👋 我是") and drafts(branch) == []


def test_cancelling_a_change_keeps_the_old_record(branch: App) -> None:
    say(branch, "张三", "会议记录 1")
    for answer in ("张三", "李四", "同上", "内容", "决议", "确认"):
        say(branch, "张三", answer)
    say(branch, "张三", "会议记录 1")
    say(branch, "张三", "修改")
    say(branch, "张三", "王五")
    assert say(branch, "张三", "取消") == "已取消修改，原会议记录保持不变。"
    assert minutes(branch)[0].chair == "张三"


@pytest.mark.parametrize(("name", "words", "reply"), [
    ("张三", "会议记录", "格式：会议记录 编号，例如：会议记录 3（编号见「会议」和会议通知）。\n本支部最近的会议：\n"
                      "[1] 3月3日（周二）14:30 支部委员会会议，三楼会议室，主题：学习党章：待补记录"),
    ("张三", "会议记录 abc", "格式：会议记录 编号，例如：会议记录 3（编号见「会议」和会议通知）。\n本支部最近的会议：\n"
                          "[1] 3月3日（周二）14:30 支部委员会会议，三楼会议室，主题：学习党章：待补记录"),
    ("张三", "会议记录 9", "没有编号为 9 的会议。发送「会议」查看本支部近期的会议。"),
    ("张三", "会议记录 2", "编号 2 的党课还没有开始（3月10日（周二）15:00开展），会议开始后才能填写会议记录。"),
    ("王书记", "会议记录 1", "编号 1 是其他支部的会议，您只能填写本支部的会议记录。"),
    ("李四", "会议记录 1", "抱歉，只有书记、委员和管理员可以填写会议记录。如需调整，请联系本支部书记。"),
])
def test_bad_input_is_told_plainly_and_nothing_is_stored(branch: App, name: str, words: str, reply: str) -> None:
    branch.handle(group_msg("张三", "安排会议 党课 2026-03-10 15:00", at=branch.clock.now()))
    assert say(branch, name, words) == reply
    assert minutes(branch) == [] and drafts(branch) == []


def test_in_a_group_the_command_points_to_a_private_chat_and_an_admin_records_any_branch(branch: App) -> None:
    [told] = texts(branch.handle(group_msg("张三", "会议记录 1", at=branch.clock.now())))
    assert told == "张三，填写会议记录请私聊我发送「会议记录」。"
    assert say(branch, "赵管理", "会议记录 1").startswith("📝 开始填写会议记录：[1]")
    branch.handle(group_msg("张三", "取消会议 1", at=branch.clock.now()))
    assert say(branch, "赵管理", "张三") == "编号 1 的会议已取消，未完成的会议记录已作废。"
    assert say(branch, "张三", "会议记录 1") == "编号 1 的会议已取消，不需要会议记录。"
    assert drafts(branch) == []


def test_a_dormant_draft_of_a_meeting_cancelled_since_is_dropped_quietly(branch: App, clock: ManualClock) -> None:
    say(branch, "张三", "会议记录 1")
    branch.handle(group_msg("张三", "取消会议 1", at=clock.now()))
    clock.set(AFTER + timedelta(hours=2))
    assert texts(branch.handle(private_msg("张三", "今天的学习很有收获，谢谢", at=clock.now()))) == []
    assert drafts(branch) == []
