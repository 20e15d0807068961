"""`studybot rank`: the points ranking (党建积分排行) as a table, JSON, CSV or an Excel file."""

from __future__ import annotations

import io
import json
import re
import shutil
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.cli.common import ConfigOption, clock_of, fail, open_app
from bot.cli.output import ForceOption, choose_format, refuse_existing, write_file, write_text
from bot.services.numbers import MAX_NUMBER
from bot.services.rank_table import (
    BRANCH_COLUMNS,
    MEMBER_COLUMNS,
    branch_records,
    cell,
    member_records,
    rank_csv,
    rank_xlsx,
)
from bot.storage.ranking import branch_ranking, member_ranking, member_ranking_all
from scheduler.periods import PERIOD_LABELS, Period, parse_period, period_key
from scheduler.points import CATEGORY_LABELS, Category, category_key, parse_category

__all__ = ["rank", "describe_period", "MEMBER_COLUMNS", "BRANCH_COLUMNS"]

_BY = {"member": "member", "members": "member", "个人": "member", "成员": "member",
       "branch": "branch", "branches": "branch", "支部": "branch"}
_FORMATS = ("table", "json", "csv", "xlsx")
DEFAULT_MEMBER_LIMIT = 50

_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")


def parse_date(text: str) -> date:
    """--date: YYYY-MM-DD (2026-2-5 and 2026/02/05 are read too); a bad date exits 2."""
    value = text.strip()
    found = _DATE.fullmatch(value)
    if found is None:
        raise fail(f"--date 应为 YYYY-MM-DD 格式的日期，例如 2026-02-15，实为「{text}」")
    year, month, day = map(int, found.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise fail(f"--date「{text}」不是有效的日期（{year} 年 {month} 月没有 {day} 日），请写 YYYY-MM-DD，"
                    "例如 2026-02-15" if 1 <= month <= 12 else
                    f"--date「{text}」不是有效的日期（月份应为 1–12），请写 YYYY-MM-DD，例如 2026-02-15") from None


def describe_period(key: str) -> str:
    """W2026-48 -> 2026 年第 48 周, M2026-11 -> 2026 年 11 月, … ALL -> 累计."""
    if key.startswith("W"):
        year, week = key[1:].split("-")
        return f"{year} 年第 {int(week)} 周"
    if key.startswith("M"):
        year, month = key[1:].split("-")
        return f"{year} 年 {int(month)} 月"
    if key.startswith("Q"):
        year, quarter = key[1:].split("-")
        return f"{year} 年第 {quarter} 季度"
    if key.startswith("Y"):
        return f"{key[1:]} 年"
    return "累计"


def rank(
    ctx: typer.Context,
    by: Annotated[str, typer.Option("--by", help="member：个人排行；branch：支部排行（按人均积分）")] = "member",
    period: Annotated[str, typer.Option(
        "--period", "-p", help="week、month、quarter、year、all（也可写 本周、本月、本季度、本年、总）")] = "all",
    format_: Annotated[str | None, typer.Option(
        "--format", "-f", help="table、json、csv、xlsx；不写时按 --output 的扩展名，否则 table",
        show_default=False)] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="写到文件（xlsx 必须指定）；不写则输出到屏幕。文件已存在时需加 --force",
        show_default=False)] = None,
    limit: Annotated[int | None, typer.Option(
        "--limit", "-n", help="最多列出多少行；个人默认 50，支部默认全部；0 表示全部", show_default=False)] = None,
    on: Annotated[str | None, typer.Option(
        "--date", "-d", metavar="YYYY-MM-DD", help="排行包含这一天的那个周期，例如 --period month --date 2026-02-15 "
        "即 2026 年 2 月的排行；默认今天（北京时间）", show_default=False)] = None,
    category: Annotated[str | None, typer.Option(
        "--category", help="只排一个类别：学习、答题、组织生活、志愿服务、先锋作用（默认全部类别合计）",
        show_default=False)] = None,
    force: ForceOption = False,
    config: ConfigOption = None,
) -> None:
    """党建积分排行：个人或支部，按周、月、季度、年或累计，可只排一个类别。

    默认排当前周期（本周、本月……）；用 --date 指定一天，则排包含这一天的那个周期。

    例如 2026 年 2 月（上个月）的个人排行：

    \b
      studybot rank --period month --date 2026-02-01

    本季度各支部组织生活积分：studybot rank --by branch --period quarter --category 组织生活
    """
    view = _BY.get(by.strip().lower())
    if view is None:
        raise fail(f"--by 应为 member（个人）或 branch（支部），实为「{by}」")
    chosen = parse_period(period)
    if chosen is None:
        raise fail("--period 应为 week、month、quarter、year、all（或 本周、本月、本季度、本年、总），"
                   f"实为「{period}」")
    kind_of = parse_category(category) if category is not None else None
    if category is not None and (kind_of is None or kind_of is Category.PENALTY):
        raise fail(f"--category 应为 学习、答题、组织生活、志愿服务 或 先锋作用，实为「{category}」")
    fmt = choose_format(format_, output, _FORMATS, "table")
    if fmt == "xlsx" and output is None:
        raise fail("xlsx 格式需要用 --output 指定文件，例如：studybot rank --format xlsx --output 排行.xlsx")
    if output is not None:
        refuse_existing(output, force)
    if limit is not None and limit < 0:
        raise fail(f"--limit 不能是负数（0 表示全部），实为 {limit}")
    if limit is not None and limit > MAX_NUMBER:  # the database takes no larger LIMIT; 0 lists everyone
        raise fail(f"--limit 最大为 {MAX_NUMBER}（0 表示全部），实为 {limit}")
    today = clock_of(ctx).now().date()  # the clock reads Shanghai wall-clock time
    day = today if on is None else parse_date(on)

    key = category_key(period_key(chosen, day), kind_of)
    app = open_app(config)
    try:
        with app.db.session() as session:
            if view == "member":
                count = DEFAULT_MEMBER_LIMIT if limit is None else limit
                rows = (member_ranking(session=session, period_key=key, limit=count) if count
                        else member_ranking_all(session=session, period_key=key))
                records = member_records(rows)
            else:
                branches = branch_ranking(session=session, period_key=key)
                if limit:
                    branches = branches[:limit]
                records = branch_records(branches)
    finally:
        app.close()

    columns = MEMBER_COLUMNS if view == "member" else BRANCH_COLUMNS
    kind = "个人" if view == "member" else "支部"
    plain = key.split("/")[0]
    current = plain == period_key(chosen, today)  # 本月 only when it is this month
    when = describe_period(plain) if chosen is Period.ALL or not current else \
        f"{PERIOD_LABELS[chosen]}：{describe_period(plain)}"
    when += f"，{CATEGORY_LABELS[kind_of]}" if kind_of else ""
    title = f"党建积分{kind}排行（{when}）"
    if view == "branch":
        title = title[:-1] + "，按人均积分）"
    if fmt == "xlsx":
        book = rank_xlsx(records, columns, kind)
        write_file(output, lambda path: path.write_bytes(book))
    else:
        if fmt == "json":
            text = json.dumps(records, ensure_ascii=False, indent=2) + "\n"
        elif fmt == "csv":
            text = rank_csv(records, columns, "\r\n" if output else "\n")
        else:
            text = _table_text(records, columns, title, view, to_file=output is not None)
        if output is None:
            typer.echo(text, nl=False)
            return
        write_text(output, text)
    typer.echo(f"已写出 {output}（{len(records)} 行）")


def _table_text(records: list[dict[str, Any]], columns: dict[str, str], title: str, view: str,
                to_file: bool) -> str:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    if not records:
        hint = "暂无支部数据，可先用 studybot members import 导入名册。" if view == "branch" else \
            "暂无积分记录。参加知识竞赛或每日一题即可获得积分。"
        return f"{title}\n{hint}\n"
    table = Table()
    for key, header in columns.items():
        table.add_column(header, justify="left" if key in ("name", "branch") else "right")
    for record in records:
        table.add_row(*(escape(str(cell(key, record[key]))) for key in columns))
    buffer = io.StringIO()
    width = 120 if to_file else shutil.get_terminal_size((100, 24)).columns
    console = Console(file=buffer, width=width, color_system=None, emoji=False)
    console.print(table)
    return f"{title}\n{buffer.getvalue()}"
