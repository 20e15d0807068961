"""The dashboard beside the local chat: `studybot run` with no platform configured (scripts/start, the embedded
defaults) serves it on server.host:server.port while you type, and says how to log in — a link for the first 管理员
on the roster, or how to get one — so a newcomer sees it with no credentials and no second terminal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import uvicorn
from sqlmodel import select

from bot.app import App
from bot.handlers.web_login import link_text
from bot.storage.models import Member
from bot.storage.web_logins import audit, issue_login

__all__ = ["dashboard_beside_chat", "login_banner"]

log = logging.getLogger(__name__)


def login_banner(app: App) -> str:
    """Where the dashboard is and how to log in: a one-time link for the first 管理员, else how to become one."""
    web, server = app.settings.web, app.settings.server
    address = web.address(server.host, server.port)
    with app.db.session() as session:
        admin = session.exec(select(Member).where(Member.role == "admin").order_by(Member.id)).first()
        if admin is None or admin.id is None:
            return (f"管理后台：{address}/\n名册中还没有管理员：在名册的「角色」列把某人写成「管理员」，用 "
                    "studybot members import 导入后，运行 studybot web link 姓名 获取登录链接；"
                    "也可以私聊机器人发送「管理后台」（只能看到自己的积分）。")
        now = app.clock.now()
        token = issue_login(session=session, member_id=admin.id, now=now, minutes=web.link_minutes)
        audit(session=session, member_id=admin.id, action="link", detail="studybot run（本地聊天）", now=now)
        session.commit()
        return f"管理后台（{admin.name}，管理员）：\n" + link_text(address, token, web.link_minutes)


@contextlib.asynccontextmanager
async def dashboard_beside_chat(app: App) -> AsyncIterator[str]:
    """Serve the dashboard while the block runs; yields what to tell the user ("" when it is off). A port already
    taken is said, and the chat goes on without the dashboard rather than not starting at all."""
    from bot.service import PortUnavailable, listen
    from bot.web import build_dashboard

    web, server = app.settings.web, app.settings.server
    if not web.enabled:
        yield ""
        return
    try:
        sock = listen(server.host, server.port)
    except PortUnavailable as exc:
        yield f"管理后台未启动：{exc}"
        return
    config = uvicorn.Config(build_dashboard(app), log_config=None, access_log=False, lifespan="off")
    dashboard = uvicorn.Server(config)
    dashboard.install_signal_handlers = lambda: None  # Ctrl-C and /exit end the chat, which ends this
    task = asyncio.create_task(dashboard.serve(sockets=[sock]))
    try:
        yield login_banner(app)
    finally:
        dashboard.should_exit = True
        with contextlib.suppress(Exception):
            await task
        sock.close()
