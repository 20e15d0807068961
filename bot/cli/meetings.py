"""`studybot meetings add|list|cancel|attend|report|minutes`: 三会一课 from the command line, on the database the
running bot uses (a meeting added here gets its reminders from `studybot run` without a restart)."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.cli.common import BranchOption, ConfigOption, cancel_and_report, clock_of, fail, find_branch, open_app
from bot.cli.meetings_attend import meetings_attend
from bot.cli.meetings_minutes import meetings_minutes
from bot.cli.output import ForceOption, choose_format, csv_text, new_sheet, refuse_existing, save_book, write_text
from bot.services.wording import MeetingWording
from bot.storage.attendees import party_groups_of
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
    """安排一次会议；会前按配置提醒支部的群。"""
    app = open_app(config, clock=clock_of(ctx))  # 「会议时间已过」 is judged by the context's now
    try:
        meetings = app.schedule.meetings
        with app.db.session() as session:
            branch_id = find_branch(session, branch).id
            try:
                draft = meetings.parse(" ".join(text), party_groups_of(session=session, branch_id=branch_id))
            except MeetingError as exc:
                raise fail(str(exc)) from None
            row = meetings.add(session, branch_id=branch_id, draft=draft, by="命令行", source="cli")
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


def meetings_report(
    period: Annotated[str, typer.Option("--period", "-p", help="quarter（本季度）或 year（本年）")] = "quarter",
    format_: Annotated[str | None, typer.Option(
        "--format", "-f", help="table、json、csv 或 xlsx；不写时按 --output 的扩展名，否则 table",
        show_default=False)] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="写到文件（xlsx 必须指定）；文件已存在时需加 --force", show_default=False)] = None,
    day: Annotated[str | None, typer.Option("--date", help="统计哪一天所在的季度或年份，YYYY-MM-DD（今天）")] = None,
    force: ForceOption = False,
    config: ConfigOption = None,
) -> None:
    """各支部三会一课开展情况：应开、已开、出勤率。"""
    if period not in ("quarter", "year"):
        raise fail("--period 应为 quarter 或 year")
    fmt = choose_format(format_, output, ("table", "json", "csv", "xlsx"), "table")
    if fmt == "xlsx" and output is None:
        raise fail("xlsx 格式需要用 --output 指定文件，例如：--output 三会一课.xlsx")
    if output is not None:
        refuse_existing(output, force)
    app = open_app(config)
    try:
        try:
            when = date.fromisoformat(day) if day else app.clock.now().date()
        except ValueError:
            raise fail(f"--date「{day}」应为 YYYY-MM-DD") from None
        with app.db.session() as session:
            rows = app.schedule.attendance.report(session, period=period, day=when)
    finally:
        app.close()
    records = [{"branch": r.branch, "type": r.type, "period": r.period, "held": r.held, "required": r.required,
                "behind": r.behind,
                "attendance_rate": None if r.attendance_rate is None else round(r.attendance_rate, 3)}
               for r in rows]
    headers = ["支部", "会议类型", "期间", "已开", "应开", "达标", "出勤率"]
    values = [[r["branch"], r["type"], r["period"], r["held"], r["required"], "否" if r["behind"] else "是",
               "" if r["attendance_rate"] is None else f"{r['attendance_rate']:.0%}"] for r in records]
    if fmt == "xlsx":
        assert output is not None
        save_book(new_sheet("三会一课", headers, values), output)
        typer.echo(f"已写入 {output}（{len(values)} 行）")
        return
    if fmt == "json":
        text = json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    elif fmt == "csv":
        text = csv_text(headers, values, "\r\n" if output else "\n")
    else:
        table = Table(*headers, title="三会一课开展情况")
        for row in values:
            table.add_row(*(escape(str(cell)) for cell in row))
        if output is None:
            Console().print(table)
            return
        buffer = io.StringIO()
        Console(file=buffer, width=120, color_system=None).print(table)
        text = buffer.getvalue()
    if output is None:
        typer.echo(text, nl=False)
        return
    write_text(output, text)
    typer.echo(f"已写入 {output}（{len(values)} 行）")


def commands() -> typer.Typer:
    group = typer.Typer(help="三会一课：安排、查看、取消会议，补记出勤，会议记录，开展情况报告", no_args_is_help=True)
    group.command("add")(meetings_add)
    group.command("list")(meetings_list)
    group.command("cancel")(meetings_cancel)
    group.command("attend")(meetings_attend)
    group.command("report")(meetings_report)
    group.command("minutes")(meetings_minutes)
    return group
