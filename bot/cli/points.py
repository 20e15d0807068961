"""`studybot points award|deduct|approve|reject|reverse|list`: points by hand from the command line, acting as the
书记 or 委员 named by --by, with the same rules as 加分, 扣分, 同意 … in chat (bot/services/manual_points.py)."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session, select

from bot.cli.common import ConfigOption, clock_of, fail, find_branch, open_app
from bot.services.context import MemberInfo
from bot.services.manual_points import ManualPoints, Outcome, actor_of
from bot.services.manual_points_text import CLI_WORDING, MANUAL_WORDS
from bot.services.numbers import parse_number
from bot.storage.branches import branch_names
from bot.storage.models import Member
from bot.storage.models_points import REQUEST_STATUSES
from bot.storage.requests import request_rows
from scheduler.points import CATEGORY_LABELS, Category

__all__ = ["commands"]

Action = Callable[[ManualPoints, Session, MemberInfo, datetime], Outcome]
ByOption = Annotated[str, typer.Option("--by", help="以哪位书记或委员（或管理员）的名义，写其姓名", show_default=False)]
NumberArgument = Annotated[str, typer.Argument(help="积分申请的编号（见 studybot points list）", show_default=False)]
NameArgument = Annotated[str, typer.Argument(help="党员姓名", show_default=False)]
PointsArgument = Annotated[str, typer.Argument(help="分值，1 到 points.manual_max（默认 20）", show_default=False)]
ReasonArgument = Annotated[list[str], typer.Argument(help="事由（必须写明）", show_default=False)]


def _actor(session: Session, name: str) -> MemberInfo:
    """The member --by names: one 书记, 委员 or 管理员; else exit 2 saying why."""
    found = list(session.exec(select(Member).where(Member.name == name.strip()).order_by(Member.id)))
    if not found:
        raise fail(f"没有名为「{name}」的党员；--by 应写本支部书记或委员的姓名（花名册中的写法）。")
    if len(found) > 1:
        branches = branch_names(session=session)
        where = "、".join(branches.get(m.branch_id or 0, "未分支部") for m in found)
        raise fail(f"有 {len(found)} 位党员名为「{name}」（{where}），无法确定 --by 是哪一位；"
                   "请先在花名册中把姓名区分开。")
    actor = actor_of(found[0])
    if not actor.is_manager:
        raise fail(f"{actor.name}不是书记、委员或管理员；--by 应写本支部书记或委员的姓名。")
    return actor


def _act(ctx: typer.Context, config: Path | None, by: str, action: Action) -> None:
    """Run `action` as the 支委 `by` in one transaction; print the reply, or exit 1 (no such 编号) or 2 (refused)."""
    app = open_app(config, clock=clock_of(ctx))
    try:
        service = ManualPoints(app.settings.points.rules())
        with app.db.session() as session:
            outcome = action(service, session, _actor(session, by), app.clock.now())
            if outcome.code:
                raise fail(outcome.text, outcome.code)
            session.commit()
        typer.echo(outcome.text)
    finally:
        app.close()


def _number(number: str, command: str) -> str:
    if parse_number(number) is None:
        raise fail(f"编号应为数字，例如：studybot points {command} 3 --by 张三（「{number}」不是；"
                   "编号见 studybot points list）")
    return number


def award(ctx: typer.Context, name: NameArgument, points: PointsArgument,
          category: Annotated[str, typer.Argument(help=f"类别：{MANUAL_WORDS}", show_default=False)],
          reason: ReasonArgument, by: ByOption, config: ConfigOption = None) -> None:
    """为党员加分（须写明类别和事由）；按配置需另一位支委同意后计入党建积分。"""
    _act(ctx, config, by, lambda service, session, actor, now: service.enter(
        session, actor, [name, points, category, *reason], deduct=False, scope=actor.branch_id, now=now,
        wording=CLI_WORDING))


def deduct(ctx: typer.Context, name: NameArgument, points: PointsArgument,
           reason: Annotated[list[str], typer.Argument(
               help="事由（必须写明），可以类别开头，如：组织生活 无故缺席支部党员大会", show_default=False)],
           by: ByOption, config: ConfigOption = None) -> None:
    """为党员扣分（须写明事由，计入「扣分」类）；按配置需另一位支委同意后生效。"""
    _act(ctx, config, by, lambda service, session, actor, now: service.enter(
        session, actor, [name, points, *reason], deduct=True, scope=actor.branch_id, now=now, wording=CLI_WORDING))


def approve(ctx: typer.Context, number: NumberArgument, by: ByOption, config: ConfigOption = None) -> None:
    """同意另一位支委提出的加分、扣分，使其计入党建积分。"""
    _number(number, "approve")
    _act(ctx, config, by, lambda service, session, actor, now: service.approve(
        session, actor, number, now=now, wording=CLI_WORDING))


def reject(ctx: typer.Context, number: NumberArgument, by: ByOption,
           reason: Annotated[list[str] | None, typer.Argument(help="退回理由（可不写）", show_default=False)] = None,
           config: ConfigOption = None) -> None:
    """退回（不同意）一条待同意的加分、扣分。"""
    _number(number, "reject")
    _act(ctx, config, by, lambda service, session, actor, now: service.reject(
        session, actor, number, " ".join(reason or []).strip(), now=now, wording=CLI_WORDING))


def reverse(ctx: typer.Context, number: NumberArgument, reason: ReasonArgument, by: ByOption,
            config: ConfigOption = None) -> None:
    """撤销一条已生效的加分、扣分：另记一笔冲减，原记录保留（须写明事由）。"""
    _number(number, "reverse")
    _act(ctx, config, by, lambda service, session, actor, now: service.reverse(
        session, actor, number, " ".join(reason).strip(), now=now, wording=CLI_WORDING))


_COLUMNS = ("编号", "状态", "支部", "党员", "分值", "类别", "事由", "提出人", "提出时间", "审核人")


def points_list(
    pending: Annotated[bool, typer.Option("--pending", help="只列待同意的")] = False,
    branch: Annotated[str | None, typer.Option("--branch", "-b", help="只列这个支部的", show_default=False)] = None,
    config: ConfigOption = None,
) -> None:
    """列出手工加分、扣分（最近 200 条，新的在前）：状态、事由、提出人和审核人。"""
    app = open_app(config)
    try:
        with app.db.session() as session:
            branch_id = find_branch(session, branch).id if branch is not None else None
            rows = request_rows(session=session, branch_id=branch_id, status="pending" if pending else None)
    finally:
        app.close()
    whose = f"{branch}" if branch else ""
    title = f"{whose}{'待同意的' if pending else ''}手工加分、扣分"
    if not rows:
        typer.echo(f"{title}：暂无。")
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{title}（{len(rows)} 条）")
    for column in _COLUMNS:
        table.add_column(column, justify="right" if column in ("编号", "分值") else "left")
    for row in rows:
        request = row.request
        label = "扣分" if request.amount < 0 else CATEGORY_LABELS[Category(request.category)]
        table.add_row(*(escape(str(cell)) for cell in (
            request.id, REQUEST_STATUSES.get(request.status, request.status), row.branch, row.member,
            f"{request.amount:+d}", label, request.reason, row.requested_by, f"{request.requested_at:%Y-%m-%d %H:%M}",
            row.decided_by or ("（无需同意）" if request.status in ("approved", "reversed") else ""))))
    buffer = io.StringIO()
    Console(file=buffer, width=max(shutil.get_terminal_size((120, 24)).columns, 120), color_system=None,
            emoji=False).print(table)
    typer.echo(buffer.getvalue(), nl=False)


def commands() -> typer.Typer:
    group = typer.Typer(help="手工加分、扣分：提出、同意、退回、撤销，列出记录", no_args_is_help=True)
    group.command("award")(award)
    group.command("deduct")(deduct)
    group.command("approve")(approve)
    group.command("reject")(reject)
    group.command("reverse")(reverse)
    group.command("list")(points_list)
    return group
