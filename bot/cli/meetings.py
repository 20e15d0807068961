"""`studybot meetings add|list|cancel|attend|report|minutes`: 三会一课 from the command line, on the database the
running bot uses (a meeting added here gets its reminders from `studybot run` without a restart). The report,
attendance and minutes commands are in meetings_report.py, meetings_attend.py and meetings_minutes.py."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import BranchOption, ConfigOption, cancel_and_report, clock_of, fail, find_branch, open_app
from bot.cli.meetings_attend import meetings_attend
from bot.cli.meetings_minutes import meetings_minutes
from bot.cli.meetings_report import meetings_report
from bot.services.wording import MeetingWording
from bot.storage.attendees import party_groups_of
from bot.storage.branches import get_or_create_branch
from scheduler.meetings import MeetingError

__all__ = ["commands"]

ON_THE_COMMAND_LINE = MeetingWording(
    whose="",
    cancel_usage="会议编号应为数字，例如：studybot meetings cancel 3（编号见 studybot meetings list --branch 支部）",
    listing="编号见 studybot meetings list --branch 支部。")


def meetings_add(
    ctx: typer.Context,
    text: Annotated[list[str], typer.Argument(help="类型 日期 时间 [地点] [主题]，与群里的「安排会议」相同")],
    branch: BranchOption, config: ConfigOption = None,
) -> None:
    """安排一次会议；会前按配置提醒支部的群。--branch 也可以是配置 meetings.groups 中的中心组、党委。"""
    app = open_app(config, clock=clock_of(ctx))  # 「会议时间已过」 is judged by the context's now
    try:
        meetings = app.schedule.meetings
        with app.db.session() as session:
            # a body of meetings.groups (中心组, 党委) is a pseudo-branch, there once its first meeting is
            found = get_or_create_branch(session=session, name=branch) if branch in app.schedule.attendance.bodies \
                else find_branch(session, branch)
            try:
                draft = meetings.parse(" ".join(text), party_groups_of(session=session, branch_id=found.id))
            except MeetingError as exc:
                raise fail(str(exc)) from None
            row = meetings.add(session, branch_id=found.id, draft=draft, by="命令行", source="cli")
            session.commit()
            line = meetings.line(row)
        meetings.activate(row.id)
        typer.echo(f"已安排：{line}")
        for warning in draft.warnings:
            typer.echo(f"注意：{warning}")
    finally:
        app.close()


def meetings_list(branch: BranchOption, config: ConfigOption = None) -> None:
    """列出支部近期的会议。"""
    app = open_app(config)
    try:
        with app.db.session() as session:
            rows = app.schedule.meetings.upcoming(session, find_branch(session, branch).id, limit=50)
            for row in rows:
                typer.echo(app.schedule.meetings.line(row))
        if not rows:
            typer.echo(f"{branch} 近期没有会议。")
    finally:
        app.close()


def meetings_cancel(number: Annotated[str, typer.Argument(help="会议编号（见 meetings list）")],
                    config: ConfigOption = None) -> None:
    """取消一次会议，并通知支部的群。"""
    cancel_and_report(config, lambda app, session: app.schedule.meetings.cancel(
        session, branch_id=None, number=number, any_branch=True, wording=ON_THE_COMMAND_LINE))


def commands() -> typer.Typer:
    group = typer.Typer(help="三会一课：安排、查看、取消会议，补记出勤，会议记录，开展情况报告", no_args_is_help=True)
    group.command("add")(meetings_add)
    group.command("list")(meetings_list)
    group.command("cancel")(meetings_cancel)
    group.command("attend")(meetings_attend)
    group.command("report")(meetings_report)
    group.command("minutes")(meetings_minutes)
    return group
