"""`studybot meetings report`: each branch's 三会一课 in a month, quarter or year (应开, 已开, 待补记录, 出勤率, 请假,
不足法定人数) as a table, JSON or CSV; as xlsx, the 台账 a 书记 prints: a summary sheet, then one sheet per branch
with one row per meeting and its people by name."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.cli.common import ConfigOption, clock_of, fail, open_app
from bot.cli.output import ForceOption, choose_format, csv_text, new_sheet, refuse_existing, save_book, write_text
from bot.services.meeting_report import MeetingRecord, ReportRow
from safeio.cells import append_row
from scheduler.meetings import verbs

__all__ = ["meetings_report", "HEADERS", "LEDGER_HEADERS"]

HEADERS = ["支部", "会议类型", "期间", "已开", "应开", "达标", "出勤率", "待补记录", "请假人次", "不足法定人数"]
LEDGER_HEADERS = ["编号", "日期", "会议类型", "地点", "主题", "应到人数", "出席", "请假", "缺席", "列席", "会议记录",
                  "状态"]
_PERIODS = ("month", "quarter", "year")
_NOT_IN_TITLE = re.compile(r"[\[\]:*?/\\\x00-\x1f]")


def _record(r: ReportRow) -> dict[str, object]:
    return {"branch": r.branch, "type": r.type, "period": r.period, "held": r.held, "required": r.required,
            "behind": r.behind, "attendance_rate": None if r.attendance_rate is None else round(r.attendance_rate, 3),
            "pending": r.pending, "leave": r.leave, "quorum_problems": r.quorum_problems}


def _values(r: ReportRow) -> list[object]:
    rate = "" if r.attendance_rate is None else f"{r.attendance_rate:.0%}"
    return [r.branch, r.type, r.period, r.held, r.required, r.met, rate, r.pending, r.leave, r.quorum_problems]


def _ledger_row(m: MeetingRecord) -> list[object]:
    names = ["、".join(people) for people in (m.present, m.leave, m.absent, m.observers)]
    state = (f"已{verbs(m.type_key)[0]}" if m.held else "待补记录") + ("（不足法定人数）" if m.quorum_short else "")
    return [m.id, f"{m.start:%Y-%m-%d %H:%M}", m.type_name, m.place, m.topic, len(m.expected), *names,
            "有" if m.minutes else "无", state]


def _title(name: str, used: set[str]) -> str:
    """A worksheet title from a branch name: no []:*?/\\, at most 31 characters, unique in the book."""
    base = _NOT_IN_TITLE.sub("_", name).strip("'") or "支部"
    title, n = base[:31], 1
    while title in used:
        n += 1
        title = f"{base[:31 - len(str(n)) - 1]}_{n}"
    used.add(title)
    return title


def ledger_book(rows: list[ReportRow], ledger: dict[str, list[MeetingRecord]]) -> Any:
    """The summary sheet (first, so it opens first), then one sheet per branch, ready to print."""
    from openpyxl.styles import Alignment, Font

    book = new_sheet("汇总", HEADERS, (_values(r) for r in rows))
    used = {"汇总"}
    for branch, meetings in ledger.items():
        sheet = book.create_sheet(_title(branch, used))
        append_row(sheet, LEDGER_HEADERS)
        for meeting in meetings:
            append_row(sheet, _ledger_row(meeting))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column, width in zip("ABCDEFGHIJKL", (6, 17, 16, 14, 24, 8, 24, 14, 18, 14, 8, 12), strict=True):
            sheet.column_dimensions[column].width = width
        for line in sheet.iter_rows(min_row=2):
            for cell in line:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
        sheet.print_title_rows = "1:1"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    return book


def meetings_report(
    ctx: typer.Context,
    period: Annotated[str, typer.Option("--period", "-p", help="month（本月）、quarter（本季度）或 year（本年）")]
    = "quarter",
    format_: Annotated[str | None, typer.Option(
        "--format", "-f", help="table、json、csv 或 xlsx（台账：汇总表加每个支部一张表）；不写时按 --output 的扩展名，"
        "否则 table", show_default=False)] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="写到文件（xlsx 必须指定）；文件已存在时需加 --force", show_default=False)] = None,
    day: Annotated[str | None, typer.Option("--date", help="统计哪天所在的月、季度或年，YYYY-MM-DD（今天）")] = None,
    force: ForceOption = False,
    config: ConfigOption = None,
) -> None:
    """各支部三会一课开展情况：应开、已开、待补记录、出勤率、请假、不足法定人数；xlsx 为可打印的台账。"""
    if period not in _PERIODS:
        raise fail("--period 应为 month、quarter 或 year")
    fmt = choose_format(format_, output, ("table", "json", "csv", "xlsx"), "table")
    if fmt == "xlsx" and output is None:
        raise fail("xlsx 格式需要用 --output 指定文件，例如：--output 三会一课.xlsx")
    if output is not None:
        refuse_existing(output, force)
    app = open_app(config, clock=clock_of(ctx))  # 「今天」 and what has started are the context's
    try:
        try:
            when = date.fromisoformat(day) if day else app.clock.now().date()
        except ValueError:
            raise fail(f"--date「{day}」应为 YYYY-MM-DD") from None
        with app.db.session() as session:
            rows, ledger = app.schedule.attendance.reports.report(session, period=period, day=when)
    finally:
        app.close()
    values = [_values(r) for r in rows]
    if fmt == "xlsx":
        assert output is not None
        save_book(ledger_book(rows, ledger), output)
        meetings = sum(len(m) for m in ledger.values())
        typer.echo(f"已写入 {output}（汇总 {len(values)} 行；{len(ledger)} 个支部的台账，共 {meetings} 次会议）")
        return
    if fmt == "json":
        text = json.dumps([_record(r) for r in rows], ensure_ascii=False, indent=2) + "\n"
    elif fmt == "csv":
        text = csv_text(HEADERS, values, "\r\n" if output else "\n")
    else:
        # the period is the same on every row: in the title, so that ten columns fit an 80-column terminal
        periods = sorted({str(row[2]) for row in values})
        table = Table(title="三会一课开展情况" + (f"（{'、'.join(periods)}）" if periods else ""))
        for n, header in enumerate(HEADERS[:2] + HEADERS[3:]):  # names whole; figures' headings may wrap
            table.add_column(header, no_wrap=n < 2, overflow="fold")
        for row in values:
            table.add_row(*(escape(str(cell)) for cell in row[:2] + row[3:]))
        if output is None:
            Console().print(table)
            return
        buffer = io.StringIO()
        Console(file=buffer, width=160, color_system=None).print(table)
        text = buffer.getvalue()
    if output is None:
        typer.echo(text, nl=False)
        return
    write_text(output, text)
    typer.echo(f"已写入 {output}（{len(values)} 行）")
