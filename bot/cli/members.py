"""`studybot members …`: import the roster (成员名册) and list members."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import ConfigOption, branch_option, clock_of, fail, open_app, progress_bar
from bot.services.roster import RosterIncomplete, import_roster
from bot.services.roster_file import COLUMNS_HINT, IDENTITY_COLUMNS, RosterError, RosterFileMissing, read_roster_file
from bot.storage.branches import branch_names
from bot.storage.models import ROLES
from bot.storage.models_records import MEMBER_CATEGORIES
from bot.storage.people import all_members, identities_on

__all__ = ["commands"]

def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help=f"名册文件（.csv 或 .xlsx），列：{COLUMNS_HINT}",
                                         metavar="FILE", show_default=False)],
    config: ConfigOption = None,
) -> None:
    """导入成员名册：先检查全部行，有任何问题则一行也不导入。"""
    try:
        read = read_roster_file(file)
        rows = read.rows
    except RosterFileMissing as exc:
        raise fail(str(exc), 2) from None
    except RosterError as exc:
        raise _report(file, exc) from None
    app = open_app(config, create=True)
    try:
        with progress_bar(len(rows), "写入名册") as progress:
            result = import_roster(app.db, rows=rows, now=clock_of(ctx).now(), label=file.name, progress=progress)
    except RosterError as exc:
        raise _report(file, exc) from None
    except RosterIncomplete as exc:
        raise fail(f"导入中断：数据库出错（{exc.__cause__}），已写入前 {exc.written} 行（共 {exc.total} 行）。"
                   "请稍后再次运行同一命令补全，已写入的成员不会重复。", 1) from None
    finally:
        app.close()
    new = f"（本次新建 {result.new_branches} 个）" if result.new_branches else ""
    typer.echo(f"导入完成：新增 {result.added} 名，更新 {result.updated} 名，未变化 {result.unchanged} 名；"
               f"现有支部 {result.branches} 个{new}。")
    for name, old, new_branch in result.moves:
        typer.echo(f"转支部：{name}（{old} → {new_branch}）")
    if note := read.ignored_note():
        typer.echo(note)


def _report(file: Path, error: RosterError) -> typer.Exit:
    problems = error.problems
    if len(problems) > 1:
        typer.echo(f"{file.name} 有 {len(problems)} 处问题，未导入任何成员：", err=True)
    for problem in problems:
        typer.echo(problem, err=True)
    if len(problems) == 1:
        typer.echo("未导入任何成员。", err=True)
    return typer.Exit(1)


def list_(
    branch: Annotated[str | None, typer.Option("--branch", "-b", help="只列出这个支部的成员")] = None,
    format_: Annotated[str, typer.Option("--format", "-f", help="输出格式：table 或 json")] = "table",
    config: ConfigOption = None,
) -> None:
    """列出成员（按支部分组）。"""
    format_ = format_.strip().lower()
    if format_ not in ("table", "json"):
        raise fail(f"不支持的格式「{format_}」，可选：table、json", 2)
    app = open_app(config)
    try:
        with app.db.session() as session:
            branches = branch_names(session=session)
            branch_id = branch_option(session, branch)
            members = all_members(session=session, branch_id=branch_id, any_branch=branch is None)
            accounts: dict[int, dict[str, str]] = {}
            for identity in identities_on(session=session, channels=IDENTITY_COLUMNS):
                accounts.setdefault(identity.member_id, {}).setdefault(identity.channel, identity.external_id)
    finally:
        app.close()
    members.sort(key=lambda m: (branches.get(m.branch_id, ""), m.id))
    records = [{
        "id": m.id, "name": m.name, "branch": branches.get(m.branch_id, ""), "role": m.role,
        "role_label": ROLES.get(m.role, m.role),
        "category": MEMBER_CATEGORIES.get(m.category, m.category), "position": m.position, "party_group": m.party_group,
        **{channel: accounts.get(m.id, {}).get(channel) for channel in IDENTITY_COLUMNS},
    } for m in members]
    if format_ == "json":
        typer.echo(json.dumps(records, ensure_ascii=False, indent=2))
        return
    if not records:
        where = f"支部「{branch.strip()}」还" if branch else "还"
        typer.echo(f"{where}没有成员。可用 studybot members import 名册.xlsx 导入名册。")
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"成员名册（{len(records)} 人）")
    # the Party columns only when a roster filled them in
    party = [key for key, _ in _PARTY_HEADERS if any(record[key] for record in records)]
    for header in ("姓名", "支部", "角色", *(dict(_PARTY_HEADERS)[key] for key in party), *IDENTITY_COLUMNS.values()):
        table.add_column(header)
    for record in records:
        table.add_row(*(escape(value) for value in (
            record["name"], record["branch"], record["role_label"], *(record[key] for key in party),
            *(record[channel] or "" for channel in IDENTITY_COLUMNS))))
    Console(file=sys.stdout).print(table)


_PARTY_HEADERS = (("category", "党员类别"), ("position", "支部职务"), ("party_group", "党小组"))


def commands() -> typer.Typer:
    group = typer.Typer(help="成员与支部名册。", no_args_is_help=True, rich_markup_mode=None)
    group.command("import")(import_)
    group.command("list")(list_)
    from bot.cli.members_codes import codes

    group.command("codes")(codes)
    return group
