"""`studybot push list|add|cancel`, `studybot meetings add|list|cancel|report`, `studybot reload`.

They work on the database the running bot uses: jobs live in its job store, so a push or meeting
added here is picked up by `studybot run` without a restart (it looks for changed jobs every minute)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import select

from bot.cli import ConfigOption, _fail, open_app
from bot.storage.models import Branch, ChatGroup
from scheduler.meetings import MeetingError

__all__ = ["push_cli", "meetings_cli", "reload"]

push_cli = typer.Typer(help="学习推送：查看、安排、取消（与群里的「推送计划」「安排推送」「取消推送」相同）",
                       no_args_is_help=True)
meetings_cli = typer.Typer(help="三会一课：安排、查看、取消会议，开展情况报告", no_args_is_help=True)

BranchOption = Annotated[str, typer.Option("--branch", "-b", help="支部名称")]


def _branch(app, session, name: str) -> Branch:
    branch = session.exec(select(Branch).where(Branch.name == name)).first()
    if branch is None:
        names = "、".join(b.name for b in session.exec(select(Branch).order_by(Branch.id))) or "（还没有支部）"
        raise _fail(f"没有支部「{name}」。现有支部：{names}")
    return branch


@push_cli.command("list")
def push_list(branch: BranchOption, config: ConfigOption = None) -> None:
    """列出支部接下来的学习推送（学习计划和安排的推送）。"""
    app = open_app(config)
    try:
        app.schedule.reconcile()
        with app.db.session() as session:
            row = _branch(app, session, branch)
            lines = app.schedule.pushes.upcoming(session, row.id, limit=50)
        if not lines:
            typer.echo(f"{branch} 近期没有学习推送。")
        for _, line in lines:
            typer.echo(line)
    finally:
        app.close()


@push_cli.command("add")
def push_add(item: Annotated[str, typer.Argument(help="学习资料的编号或标题")],
             when: Annotated[str, typer.Argument(help="时间，例如「每周一 09:00」「2026-12-01 09:00」「0 9 * * 1」")],
             branch: BranchOption, group: Annotated[str, typer.Option("--group", "-g", help="只推送到这个群")] = "",
             config: ConfigOption = None) -> None:
    """安排一项学习推送。"""
    app = open_app(config)
    try:
        with app.db.session() as session:
            row_branch = _branch(app, session, branch)
            args = [item, *when.split(), *([group] if group else [])]
            groups = [g.name for g in session.exec(select(ChatGroup).where(ChatGroup.branch_id == row_branch.id))]
            if group and group not in groups:
                raise _fail(f"支部「{branch}」没有群「{group}」。机器人在群里收到过消息后才认识这个群。")
            row, text = app.schedule.pushes.arrange(session, branch_id=row_branch.id, args=args, by="命令行",
                                                    groups=groups)
            if row is None:
                raise _fail(text)
            session.commit()
        typer.echo(text + app.schedule.pushes.activate(row))
    finally:
        app.close()


def _cancel(config: Path | None, cancel) -> None:
    """Run `cancel(app, session) -> reply` and print it; exit 1 when nothing was cancelled."""
    app = open_app(config)
    try:
        with app.db.session() as session:
            text = cancel(app, session)
        typer.echo(text)
        if not text.startswith("已取消"):
            raise typer.Exit(1)
    finally:
        app.close()


@push_cli.command("cancel")
def push_cancel(number: Annotated[str, typer.Argument(help="推送编号（见 push list）")],
                config: ConfigOption = None) -> None:
    """取消一项安排的推送。"""
    _cancel(config, lambda app, session: app.schedule.pushes.cancel(session, branch_id=None, number=number,
                                                                    any_branch=True))


@meetings_cli.command("add")
def meetings_add(text: Annotated[list[str], typer.Argument(help="类型 日期 时间 [地点] [主题]，与群里的「安排会议」相同")],
                 branch: BranchOption, config: ConfigOption = None) -> None:
    """安排一次会议；会前按配置提醒支部的群。"""
    app = open_app(config)
    try:
        meetings = app.schedule.meetings
        try:
            draft = meetings.parse(" ".join(text))
        except MeetingError as exc:
            raise _fail(str(exc)) from None
        with app.db.session() as session:
            row = meetings.add(session, branch_id=_branch(app, session, branch).id, draft=draft, by="命令行",
                               source="cli")
            session.commit()
            line = meetings.line(row)
        meetings.activate(row.id)
        typer.echo(f"已安排：{line}")
        for warning in draft.warnings:
            typer.echo(f"注意：{warning}")
    finally:
        app.close()


@meetings_cli.command("list")
def meetings_list(branch: BranchOption, config: ConfigOption = None) -> None:
    """列出支部近期的会议。"""
    app = open_app(config)
    try:
        with app.db.session() as session:
            rows = app.schedule.meetings.upcoming(session, _branch(app, session, branch).id, limit=50)
            for row in rows:
                typer.echo(app.schedule.meetings.line(row))
        if not rows:
            typer.echo(f"{branch} 近期没有会议。")
    finally:
        app.close()


@meetings_cli.command("cancel")
def meetings_cancel(number: Annotated[str, typer.Argument(help="会议编号（见 meetings list）")],
                    config: ConfigOption = None) -> None:
    """取消一次会议，并通知支部的群。"""
    _cancel(config, lambda app, session: app.schedule.meetings.cancel(session, branch_id=None, number=number,
                                                                      any_branch=True))


@meetings_cli.command("report")
def meetings_report(period: Annotated[str, typer.Option("--period", "-p", help="quarter（本季度）或 year（本年）")] = "quarter",
                    format_: Annotated[str, typer.Option("--format", "-f", help="table、json 或 xlsx")] = "table",
                    output: Annotated[Path | None, typer.Option("--output", "-o", help="写到文件（xlsx 必须指定）")] = None,
                    day: Annotated[str | None, typer.Option("--date", help="统计哪一天所在的季度或年份，YYYY-MM-DD（今天）")] = None,
                    config: ConfigOption = None) -> None:
    """各支部三会一课开展情况：应开、已开、出勤率。"""
    if period not in ("quarter", "year"):
        raise _fail("--period 应为 quarter 或 year")
    if format_ not in ("table", "json", "xlsx"):
        raise _fail("--format 应为 table、json 或 xlsx")
    if format_ == "xlsx" and output is None:
        raise _fail("xlsx 格式需要用 --output 指定文件，例如：--output 三会一课.xlsx")
    app = open_app(config)
    try:
        try:
            when = date.fromisoformat(day) if day else app.clock.now().date()
        except ValueError:
            raise _fail(f"--date「{day}」应为 YYYY-MM-DD") from None
        with app.db.session() as session:
            rows = app.schedule.attendance.report(session, period=period, day=when)
    finally:
        app.close()
    records = [{"branch": r.branch, "type": r.type, "period": r.period, "held": r.held, "required": r.required,
                "behind": r.behind, "attendance_rate": None if r.attendance_rate is None else round(r.attendance_rate, 3)}
               for r in rows]
    if format_ == "json":
        text = json.dumps(records, ensure_ascii=False, indent=2)
        if output:
            output.write_text(text + "\n", encoding="utf-8")
        else:
            typer.echo(text)
        return
    headers = ["支部", "会议类型", "期间", "已开", "应开", "达标", "出勤率"]
    values = [[r["branch"], r["type"], r["period"], r["held"], r["required"], "否" if r["behind"] else "是",
               "" if r["attendance_rate"] is None else f"{r['attendance_rate']:.0%}"] for r in records]
    if format_ == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "三会一课"
        sheet.append(headers)
        for row in values:
            sheet.append(row)
        book.save(output)
        typer.echo(f"已写入 {output}（{len(values)} 行）")
        return
    table = Table(*headers, title="三会一课开展情况")
    for row in values:
        table.add_row(*map(str, row))
    Console().print(table)


def reload(config: ConfigOption = None) -> None:
    """重新读取学习计划文件，更新定时任务（新增、修改、删除），不重复。"""
    app = open_app(config)
    try:
        for problem in app.schedule.problems:
            typer.echo(problem, err=True)
        added, changed, removed = app.schedule.reconcile()
        for problem in app.schedule.meeting_problems:
            typer.echo(problem, err=True)
        typer.echo(f"学习计划已更新：新增 {added} 项，修改 {changed} 项，删除 {removed} 项；"
                   f"共 {len(app.schedule.pushes.plans)} 项计划。")
    finally:
        app.close()
