"""`studybot members codes`: each member's binding code for the members' pages inside WeChat (bot/storage/
bind_codes.py). Printed, or written to a .csv/.xlsx for the secretary to hand out one by one (privately: a code binds
whoever types it first with the member's name). Running it again issues new codes and voids the old ones; `--unbound`
only for members not bound yet. The dashboard's 微信绑定 page issues them by the same service (bot/services/
binding.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import ConfigOption, branch_option, clock_of, fail, open_app
from bot.cli.output import ForceOption, choose_format, csv_text, new_sheet, refuse_existing, save_book, write_text
from bot.services.binding import CODE_HEADERS, issue_branch_codes
from bot.storage.bind_codes import CODE_DAYS

__all__ = ["codes"]

NO_MEMBERS = "名册中还没有成员：请先用 studybot members import 名册.xlsx 导入名册。"
ALL_BOUND = "所选成员都已绑定微信，无需发放；如需为已绑定的成员重新发放（更换微信时），请去掉 --unbound。"


def codes(
    ctx: typer.Context,
    branch: Annotated[str | None, typer.Option("--branch", "-b", help="只为这个支部的成员发放")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="写到文件（.csv 或 .xlsx）；文件已存在时需加 --force", show_default=False)] = None,
    days: Annotated[int, typer.Option("--days", help="绑定码有效天数", min=1, max=90)] = CODE_DAYS,
    unbound: Annotated[bool, typer.Option("--unbound", help="只为还没有绑定微信的成员发放")] = False,
    force: ForceOption = False,
    config: ConfigOption = None,
) -> None:
    """发放微信绑定码：成员在微信里第一次打开学习答题页时，填姓名和绑定码绑定（每码限用一次）。重新运行会作废旧码。"""
    fmt = choose_format(None, output, ("csv", "xlsx"), "csv") if output is not None else "table"
    if output is not None:
        refuse_existing(output, force)
    app = open_app(config, clock=clock_of(ctx))
    try:
        with app.db.session() as session:
            rows = issue_branch_codes(session=session, branch_id=branch_option(session, branch), now=app.clock.now(),
                                      days=days, unbound_only=unbound)
            if not rows:
                raise fail(ALL_BOUND if unbound else NO_MEMBERS, 1)
            session.commit()
    finally:
        app.close()
    if output is None:
        for row in rows:
            typer.echo("  ".join(row))
    elif fmt == "xlsx":
        save_book(new_sheet("绑定码", CODE_HEADERS, rows), output)  # type: ignore[arg-type]
    else:
        write_text(output, csv_text(CODE_HEADERS, rows))
    where = f"支部「{branch.strip()}」" if branch else "全部支部"
    typer.echo(f"已为{where}的 {len(rows)} 名成员发放绑定码（{days} 天内有效，每码限用一次，旧码已作废）"
               + (f"，已写入 {output}" if output is not None else "") + "。请逐一私下发给本人，勿发到群里。",
               err=output is None)
