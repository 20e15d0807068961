"""`studybot push list|add|cancel` and `studybot reload`.

They work on the database the running bot uses: jobs live in its job store, so a push added here or a
plan reloaded is picked up by `studybot run` without a restart (it looks for changed jobs every minute)."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import BranchOption, ConfigOption, cancel_and_report, clock_of, fail, find_branch, open_app
from bot.cli.logs import warn
from bot.services.pushes import ENDED_SHOWN
from bot.services.wording import PushWording
from bot.storage.branches import groups_of_branch

__all__ = ["commands", "reload"]


def _wording(branch: str) -> PushWording:
    """The replies of 安排推送 and 取消推送 as the command line says them: of the branch named, and of commands."""
    return PushWording(
        whose=branch,
        usage="用法：studybot push add 资料 时间 --branch 支部 [--group 群]，"
              "例如：studybot push add 三会一课制度要点 \"每周一 09:00\" --branch 第一党支部",
        find_item="请写资料的编号或完整标题（资料文件在配置 content.dirs 所列的目录中）。",
        cancel_usage="推送编号应为数字，例如：studybot push cancel 3（编号见 studybot push list --branch 支部）",
        listing="编号见 studybot push list --branch 支部。",
        one_group="只推送到其中一个群请用 --group 群名；不写则推送到该支部的所有群。")


def push_list(ctx: typer.Context, branch: BranchOption, config: ConfigOption = None) -> None:
    """列出支部接下来的学习推送（学习计划和安排的推送），以及最近 30 天结束的一次性推送。"""
    app = open_app(config, clock=clock_of(ctx))
    try:
        app.schedule.reconcile()
        with app.db.session() as session:
            row = find_branch(session, branch)
            lines = app.schedule.pushes.upcoming(session, row.id, limit=50)
            ended = app.schedule.pushes.ended(session, row.id)
        if not lines:
            typer.echo(f"{branch} 近期没有学习推送。")
        for _, line in lines:
            typer.echo(line)
        if ended:
            typer.echo(f"最近 {ENDED_SHOWN.days} 天结束的一次性推送：")
        for _, line in ended:
            typer.echo(line)
    finally:
        app.close()


def push_add(ctx: typer.Context, item: Annotated[str, typer.Argument(help="学习资料的编号或标题")],
             when: Annotated[list[str], typer.Argument(
                 help="时间，例如 每周一 09:00、2026-12-01 09:00 或 \"0 9 * * 1\"（空格分开的几个词也行，不必加引号）",
                 metavar="WHEN...", show_default=False)],
             branch: BranchOption, group: Annotated[str, typer.Option("--group", "-g", help="只推送到这个群")] = "",
             config: ConfigOption = None) -> None:
    """安排一项学习推送。"""
    app = open_app(config, clock=clock_of(ctx))  # 「12月1日」 and how often it fires are read from the context's today
    try:
        with app.db.session() as session:
            row_branch = find_branch(session, branch)
            # 「push add 资料 每周一 09:00」 without quotes is two words of one time, as in chat
            args = [item, *" ".join(when).split(), *([group] if group else [])]
            groups = [g.name for g in groups_of_branch(session=session, branch_id=row_branch.id)]
            if group and group not in groups:
                raise fail(f"支部「{branch}」没有群「{group}」（现有的群：{'、'.join(groups) or '无'}）。"
                           "机器人在群里收到过消息后才认识这个群。")
            row, text = app.schedule.pushes.arrange(session, branch_id=row_branch.id, args=args, by="命令行",
                                                    groups=groups, wording=_wording(branch))
            if row is None:
                raise fail(text)
            session.commit()
        typer.echo(text + app.schedule.pushes.activate(row))
    finally:
        app.close()


def push_cancel(number: Annotated[str, typer.Argument(help="推送编号（见 push list）")],
                config: ConfigOption = None) -> None:
    """取消一项安排的推送。"""
    cancel_and_report(config, lambda app, session: app.schedule.pushes.cancel(
        session, branch_id=None, number=number, any_branch=True, wording=_wording("")))


def reload(config: ConfigOption = None) -> None:
    """重新读取学习计划文件，更新定时任务（新增、修改、删除），不重复。"""
    app = open_app(config)
    try:
        added, changed, removed = app.schedule.reconcile()
        warn([*app.schedule.problems, *app.schedule.meeting_problems])
        typer.echo(f"学习计划已更新：新增 {added} 项，修改 {changed} 项，删除 {removed} 项；"
                   f"共 {len(app.schedule.pushes.plans)} 项计划。")
    finally:
        app.close()


def commands() -> typer.Typer:
    group = typer.Typer(help="学习推送：查看、安排、取消（与群里的「推送计划」「安排推送」「取消推送」相同）",
                        no_args_is_help=True)
    group.command("list")(push_list)
    group.command("add")(push_add)
    group.command("cancel")(push_cancel)
    return group
