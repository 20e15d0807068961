"""`studybot run` with no platform (scripts/start): the dashboard is served beside the local chat and the terminal
says how to log in — a one-time link for the first 管理员, or how to get one; a port already taken is said and the
chat goes on."""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

import httpx

from bot.cli.local_dashboard import dashboard_beside_chat, login_banner
from bot.clock import ManualClock
from bot.storage.web_logins import login_state
from tests.helpers import T0, make_app
from tests.web_helpers import web_app


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_banner_holds_a_link_for_the_first_admin(tmp_path: Path) -> None:
    app = web_app(tmp_path, ManualClock(T0))
    banner = login_banner(app)
    assert banner.startswith("管理后台（老周，管理员）：\n🔐 管理后台登录链接（10 分钟内有效，仅可使用一次，"
                             "请勿转发）：")
    token = re.search(r"http://127\.0\.0\.1:8080/login/(\S+)", banner)
    assert token is not None
    with app.db.session() as session:
        assert login_state(session=session, token=token[1], now=T0) is not None
    app.close()


def test_without_an_admin_the_banner_says_how_to_get_one(tmp_path: Path) -> None:
    app = make_app(tmp_path, ManualClock(T0))
    assert login_banner(app) == (
        "管理后台：http://127.0.0.1:8080/\n名册中还没有管理员：在名册的「角色」列把某人写成「管理员」，用 "
        "studybot members import 导入后，运行 studybot web link 姓名 获取登录链接；"
        "也可以私聊机器人发送「管理后台」（只能看到自己的积分）。")
    app.close()


def test_the_dashboard_is_served_while_the_chat_runs_and_a_taken_port_is_said(tmp_path: Path) -> None:
    port = free_port()
    app = web_app(tmp_path, ManualClock(T0), server={"port": port})

    async def visit() -> tuple[str, int, str]:
        async with dashboard_beside_chat(app) as told:
            async with httpx.AsyncClient() as client:
                page = await client.get(f"http://127.0.0.1:{port}/login")
            async with dashboard_beside_chat(app) as second:  # the port is taken now
                return told, page.status_code, second

    told, status, second = asyncio.run(visit())
    assert told.startswith("管理后台（老周，管理员）") and status == 200
    assert second.startswith(f"管理后台未启动：无法在 127.0.0.1:{port} 上监听")
    app.close()


def test_a_trial_with_nobody_on_the_roster_gets_the_sample_roster_once(tmp_path: Path) -> None:
    """scripts/start on a new database: the sample roster (two branches, a 管理员) comes in, so the banner holds
    the 管理员's link; a roster already there (the sample's, or the organisation's own) is never touched."""
    from sqlmodel import select

    from bot.cli.sample_roster import import_sample_roster
    from bot.storage.models import Member

    app = make_app(tmp_path, ManualClock(T0))
    assert import_sample_roster(app).startswith(
        "名册为空，已导入示例名册（9 人，第一、第二党支部和机关党委；张三为第一党支部书记，老周为管理员）")
    with app.db.session() as session:
        roles = {m.name: (m.role, m.category) for m in session.exec(select(Member)) if m.rostered}
    assert roles["张三"][0] == "secretary" and roles["老周"][0] == "admin" and roles["赵六"][1] != roles["王五"][1]
    assert login_banner(app).startswith("管理后台（老周，管理员）：")
    assert import_sample_roster(app) == ""
    app.close()
    own = web_app(tmp_path / "own", ManualClock(T0))  # an organisation's roster: left as it is
    assert import_sample_roster(own) == ""
    own.close()
