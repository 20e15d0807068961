"""「进行中的竞赛」 on /h5/ and the secretary told (issue 18): a member's start page lists the running contests of
their branch's groups (a chat group's, the WeChat branch's virtual group's, a 全委竞赛's part), each linking to its live
page, and nothing of another branch's or for a visitor; a contest started in a WeChat branch's virtual group (a plan,
`studybot contest start`, a 全委竞赛) sends its link privately to the branch's 书记 and 委员, through the outbox."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from bot.app import App
from bot.channels.registry import add_platform_channels
from bot.clock import ManualClock
from bot.services.contests.planned import RoundOrder, start_round
from bot.storage.models import ContestRow, Member
from bot.storage.models_schedule import OutboxRow
from tests.h5_contest_helpers import live_contest
from tests.helpers import T0, RecordingChannel, group_msg
from tests.web_helpers import client_for, login, web_app

PLAN = """\
plans:
  - name: 微信群竞赛
    when: 每周五 16:00
    to: [第二支部]
    contest: {bank: 测试题库, questions: 2, time_limit: 20}
"""
HEAD = "<h2>进行中的竞赛</h2>"
NOTICE = "第二支部（微信群）的竞赛已开始，请把链接发到支部微信群：http://dj.example.com/h5/contest/"


def wechat_branch(tmp_path: Path, database_url: str) -> App:
    """第二支部 on WeChat (its virtual group), 钱七 made its 委员; 第一支部 in a chat group the bot knows."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    app = web_app(tmp_path, ManualClock(T0), h5={"branches": ["第二支部"]}, web={"base_url": "http://dj.example.com"},
                  content={"plans": [str(plan)]}, database={"url": database_url})
    with app.db.session() as session:
        member = session.exec(select(Member).where(Member.name == "钱七")).one()
        member.role = "committee"
        session.add(member)
        session.commit()
    app.add_channel(RecordingChannel())
    add_platform_channels(app)
    app.start()
    app.handle(group_msg("张三", "你好", "第一支部"))  # the bot knows 第一支部's chat group
    return app


def notices(app: App) -> dict[str, str]:
    """Private outbox rows: account → text."""
    with app.db.session() as session:
        return {row.chat_id: row.text for row in session.exec(select(OutboxRow).where(OutboxRow.is_group == False))  # noqa: E712
                if "竞赛已开始" in row.text}


def contest_ids(app: App) -> dict[str, int]:
    """The running contests: virtual group or chat → contest id."""
    from bot.storage.models import ChatGroup
    with app.db.session() as session:
        rows = session.exec(select(ContestRow, ChatGroup).join(ChatGroup, ChatGroup.id == ContestRow.group_id)
                            .where(ContestRow.status == "running")).all()
        return {group.channel: contest.id for contest, group in rows if contest.id is not None}


def test_a_member_sees_their_branch_s_running_contest_and_no_other(tmp_path: Path) -> None:
    live = live_contest(tmp_path)  # 第一支部's chat group
    link = f'href="/h5/contest/{live.contest_id}"'
    mine = login(live.app, "张三").get("/h5/")
    assert mine.status_code == 200 and HEAD in mine.text and link in mine.text and "测试题库" in mine.text
    other = login(live.app, "钱七").get("/h5/")  # 第二支部
    assert other.status_code == 200 and HEAD not in other.text and link not in other.text
    visitor = client_for(live.app).get("/h5/")
    assert HEAD not in visitor.text and "/h5/contest/" not in visitor.text and "测试题库" not in visitor.text
    live.chat("张书记", "结束竞赛")
    assert HEAD not in login(live.app, "张三").get("/h5/").text  # an ended contest is gone
    assert notices(live.app) == {}  # a chat group's contest: its link went to the chat, no one is told privately


def test_a_plan_s_contest_for_a_wechat_branch_tells_its_secretary_and_committee(tmp_path: Path,
                                                                              database_url: str) -> None:
    app = wechat_branch(tmp_path, database_url)
    app.schedule.pushes.run_plan("plan#微信群竞赛")
    contest_id = contest_ids(app)["h5"]
    told = notices(app)
    assert set(told) == {"王书记", "钱七"}  # 第二支部's 书记 and 委员 (their accounts); not 张书记, not 老周
    assert told["王书记"] == f"{NOTICE}{contest_id}"
    with app.db.session() as session:
        rows = session.exec(select(OutboxRow).where(OutboxRow.chat_id == "王书记")).all()
        assert [(r.channel, r.is_group) for r in rows if "竞赛已开始" in r.text] == [("local", False)]  # once
    page = login(app, "钱七").get("/h5/")
    assert f'href="/h5/contest/{contest_id}"' in page.text and "第二支部（微信群）" in page.text
    assert f'href="/h5/contest/{contest_id}"' not in login(app, "张三").get("/h5/").text


def test_a_round_tells_the_wechat_branch_and_lists_its_part(tmp_path: Path, database_url: str) -> None:
    app = wechat_branch(tmp_path, database_url)
    app.send(start_round(app.rounds, app.db, app.channels.keys, RoundOrder(questions=2), T0))  # type: ignore[arg-type]
    running = contest_ids(app)
    assert set(running) >= {"h5"} and len(running) == 2
    told = notices(app)
    assert set(told) == {"王书记", "钱七"} and told["王书记"] == f"{NOTICE}{running['h5']}"
    second = login(app, "钱七").get("/h5/").text
    assert "全委竞赛 · 测试题库" in second and f'/h5/contest/{running["h5"]}"' in second
    first = login(app, "张三").get("/h5/").text  # 第一支部's part in its chat group, not 第二支部's
    chat_id = next(cid for channel, cid in running.items() if channel != "h5")
    assert f'/h5/contest/{chat_id}"' in first and f'/h5/contest/{running["h5"]}"' not in first


def test_the_start_page_for_every_viewer(tmp_path: Path) -> None:
    """The role matrix: only 第一支部's people see 第一支部's contest; the committee's admin (机关党委) does not."""
    live = live_contest(tmp_path)
    link = f'href="/h5/contest/{live.contest_id}"'
    for name, sees in [("老周", False), ("张书记", True), ("王书记", False), ("张三", True), ("钱七", False)]:
        page = login(live.app, name).get("/h5/")
        assert page.status_code == 200
        assert (link in page.text) is sees and (HEAD in page.text) is sees, name
    assert link not in client_for(live.app).get("/h5/").text
