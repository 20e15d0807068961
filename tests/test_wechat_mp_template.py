"""The Official Account's template messages (issue 18), on the real wire: wechatpy's client posts to a fake WeChat API
on loopback. With wechat_mp.link_template set, a contest of a WeChat branch sends its live page's link to each
member of the branch bound to WeChat (not to other branches, not to members bound to nothing), through the outbox,
once; the fields are filled as configured; WeChat's refusal (a member who no longer follows) is recorded and tried
again later, as any push; without a template nothing goes to the members. A wrong field map is refused at start."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from fakes.wechat_api import FakeWeChatAPI
from sqlmodel import select

from bot.app import App
from bot.channels.registry import add_platform_channels
from bot.clock import ManualClock
from bot.settings import ConfigError
from bot.storage.models import Identity, Member
from bot.storage.models_schedule import OutboxRow
from tests.helpers import T0, RecordingChannel
from tests.test_h5_running import PLAN, contest_ids
from tests.web_helpers import web_app

APP_ID, SECRET = "wx-template-test", "s-template-secret"
TEMPLATE = {"template_id": "TPL-contest-1", "fields": {"thing1": "{title}", "thing4": "{text}", "time2": "{time}",
                                                        "thing9": "党委知识竞赛"}}


def branch_app(tmp_path: Path, api: FakeWeChatAPI, template: dict[str, Any] | None) -> App:
    """第二支部 on WeChat, its members 王书记 and 钱七 bound to the Official Account, and 张三 (第一支部) too."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    mp: dict[str, Any] = {"app_id": APP_ID, "app_secret": SECRET, "token": "t", "api_base_url": api.url}
    if template is not None:
        mp["link_template"] = template
    app = web_app(tmp_path, ManualClock(T0), h5={"branches": ["第二支部"]}, web={"base_url": "http://dj.example.com"},
                  content={"plans": [str(plan)]}, wechat_mp=mp)
    with app.db.session() as session:
        for name, openid in {"王书记": "o-wang", "钱七": "o-qian", "张三": "o-zhang"}.items():
            member = session.exec(select(Member).where(Member.name == name)).one()
            session.add(Identity(channel="wechat_mp", external_id=openid, member_id=member.id))
        session.commit()
    app.add_channel(RecordingChannel())
    add_platform_channels(app)
    app.start()
    return app


def page_pushes(app: App) -> list[OutboxRow]:
    with app.db.session() as session:
        return list(session.exec(select(OutboxRow).where(OutboxRow.key.startswith("contest-page:"))  # type: ignore[attr-defined]
                                 .order_by(OutboxRow.id)))


def test_a_wechat_branch_s_bound_members_get_the_contest_page_as_a_template_message(tmp_path: Path) -> None:
    with FakeWeChatAPI(APP_ID, SECRET) as api:
        app = branch_app(tmp_path, api, TEMPLATE)
        app.schedule.pushes.run_plan("plan#微信群竞赛")
        link = f"http://dj.example.com/h5/contest/{contest_ids(app)['h5']}"
        rows = page_pushes(app)
        assert [(r.channel, r.chat_id, r.link, r.is_group) for r in rows] == [
            ("wechat_mp", "o-wang", link, False), ("wechat_mp", "o-qian", link, False)]  # not 张三 of 第一支部
        assert rows[0].text == f"知识竞赛开始了\n第二支部（微信群）的竞赛正在进行，点开即可答题：{link}"
        app.schedule.pushes.run_plan("plan#微信群竞赛")  # the plan's job again: its contest is running, no new notes
        assert len(page_pushes(app)) == 2
        asyncio.run(app.schedule.outbox.run_once())
        assert sorted(t["touser"] for t in api.templates) == ["o-qian", "o-wang"]
        sent = api.templates[0]
        assert sent["template_id"] == "TPL-contest-1" and sent["url"] == link
        assert sent["data"] == {"thing1": {"value": "知识竞赛开始了"},
                                "thing4": {"value": "第二支部（微信群）的竞赛正在进行，点开…"},  # cut to 20 characters
                                "time2": {"value": T0.strftime("%Y年%m月%d日 %H:%M")},
                                "thing9": {"value": "党委知识竞赛"}}
        assert api.received("/cgi-bin/message/custom/send") == []  # no customer-service message instead
        assert {r.status for r in page_pushes(app)} == {"sent"}
        asyncio.run(app.schedule.outbox.run_once())
        assert len(api.templates) == 2  # sent once


def test_a_refused_template_message_is_recorded_for_a_later_try_and_the_others_still_go(tmp_path: Path) -> None:
    with FakeWeChatAPI(APP_ID, SECRET) as api:
        api.template_refusals["o-wang"] = 43004  # 需要接收者关注: 王书记 no longer follows the account
        app = branch_app(tmp_path, api, TEMPLATE)
        app.schedule.pushes.run_plan("plan#微信群竞赛")
        asyncio.run(app.schedule.outbox.run_once())
        rows = {r.chat_id: r for r in page_pushes(app)}
        assert [t["touser"] for t in api.templates] == ["o-qian"]
        assert rows["o-qian"].status == "sent"
        refused = rows["o-wang"]  # kept, and tried again later like any push WeChat did not take
        assert (refused.status, refused.attempts) == ("pending", 1) and "errcode 43004" in refused.last_error


def test_without_a_template_the_members_get_no_link_and_the_secretary_still_does(tmp_path: Path) -> None:
    with FakeWeChatAPI(APP_ID, SECRET) as api:
        app = branch_app(tmp_path, api, None)
        app.schedule.pushes.run_plan("plan#微信群竞赛")
        assert page_pushes(app) == []
        with app.db.session() as session:
            told = [r.chat_id for r in session.exec(select(OutboxRow)) if "请把链接发到支部微信群" in r.text]
        assert "王书记" in told  # the secretary's own chat account, as before


@pytest.mark.parametrize(("fields", "said"), [
    ({"thing1": "{name}"}, "只能用 {title}（标题）、{text}（说明）、{time}（时间）和文字"),
    ({"thing 1": "{title}"}, "应为模板详情里 {{ }} 中 .DATA 之前的部分"),
    ({}, "至少填写一个字段"),
])
def test_a_wrong_field_map_is_refused_with_its_reason(tmp_path: Path, fields: dict[str, str], said: str) -> None:
    with FakeWeChatAPI(APP_ID, SECRET) as api, pytest.raises(ConfigError) as refused:
        branch_app(tmp_path, api, {"template_id": "TPL", "fields": fields})
    assert "wechat_mp.link_template.fields" in str(refused.value) and said in str(refused.value)
