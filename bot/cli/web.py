"""`studybot web`: the dashboard alone (no channels, no scheduler: e.g. on a reporting replica), and
`studybot web link 姓名`, a one-time login link for a member."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import col, select

from bot.cli.common import ConfigOption, clock_of, fail, open_app
from bot.handlers.web_login import link_text
from bot.storage.branches import all_branches
from bot.storage.models import Member
from bot.storage.web_logins import audit, issue_login

__all__ = ["commands"]


def serve(ctx: typer.Context, config: ConfigOption = None) -> None:
    """只运行管理后台网页（不连接任何渠道、不执行定时任务），地址为 server.host:server.port。"""
    if ctx.invoked_subcommand is not None:
        return

    import uvicorn

    from bot.service import BACKLOG, PortUnavailable, listen, run_loop, tune_gc
    from bot.web import build_dashboard

    app = open_app(config)
    web, server = app.settings.web, app.settings.server
    if not web.enabled:
        app.close()
        raise fail("管理后台未开启：请在配置中把 web.enabled 设为 true")
    try:
        sock = listen(server.host, server.port)
    except PortUnavailable as exc:
        app.close()
        raise fail(str(exc)) from None
    typer.echo(f"管理后台已启动：{web.address(server.host, server.port)}/（Ctrl-C 退出）。"
               "登录链接：studybot web link 姓名", err=True)
    config_ = uvicorn.Config(build_dashboard(app), log_config=None, access_log=False, lifespan="off", backlog=BACKLOG)
    tune_gc()  # as `studybot run`: the start-up objects out of the collector's scans (no 100 ms full collections)
    try:
        run_loop(uvicorn.Server(config_).serve(sockets=[sock]))
    finally:
        app.close()


def link(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="成员姓名（与名册一致）")],
    branch: Annotated[str | None, typer.Option("--branch", "-b", help="有同名成员时，写出其支部")] = None,
    config: ConfigOption = None,
) -> None:
    """打印一位成员的管理后台一次性登录链接（有效时间见 web.link_minutes，仅可使用一次）。"""
    app = open_app(config, clock=clock_of(ctx))
    try:
        web, server = app.settings.web, app.settings.server
        if not web.enabled:
            raise fail("管理后台未开启：请在配置中把 web.enabled 设为 true")
        now = app.clock.now()
        with app.db.session() as session:
            found = list(session.exec(select(Member).where(Member.name == name.strip()).order_by(col(Member.id))))
            branches = {b.id: b.name for b in all_branches(session=session)}
            if branch is not None:
                found = [m for m in found if branches.get(m.branch_id) == branch.strip()]
            if not found:
                where = f"（支部「{branch}」）" if branch is not None else ""
                raise fail(f"没有成员「{name}」{where}：请检查姓名，或先用 studybot members import 导入名册")
            if len(found) > 1:
                shown = "、".join(branches.get(m.branch_id, "无支部") for m in found)
                raise fail(f"有 {len(found)} 位成员叫「{name}」（{shown}）：请加 --branch 支部名 指明是哪一位")
            member = found[0]
            assert member.id is not None
            token = issue_login(session=session, member_id=member.id, now=now, minutes=web.link_minutes)
            audit(session=session, member_id=member.id, action="link", detail="studybot web link", now=now)
            session.commit()
        typer.echo(link_text(web.address(server.host, server.port), token, web.link_minutes))
    finally:
        app.close()


def commands() -> typer.Typer:
    group = typer.Typer(help="管理后台网页：studybot web 运行网页；studybot web link 姓名 打印登录链接。",
                        invoke_without_command=True, rich_markup_mode=None)
    group.callback(invoke_without_command=True)(serve)
    group.command("link")(link)
    return group
