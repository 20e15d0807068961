"""The files the command line writes (`studybot rank`, `studybot meetings report`): a path that cannot be written
fails in one line, never a traceback.

In spreadsheets, names come from platform nicknames, group names and roster files, so a cell may hold what an xlsx
cannot: control characters (XML 1.0 has no place for them, openpyxl refuses the whole file) are dropped, and text
that starts with 「=」 is stored as text, not as a formula a spreadsheet would run when the committee opens it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.cli.common import fail

__all__ = ["write_text", "new_sheet", "save_book", "cell_text"]


def write_text(output: Path, text: str) -> None:
    try:
        output.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise fail(f"无法写入 {output}：{exc.strerror or exc}", 1) from None


def cell_text(value: Any) -> Any:
    """`value` as an xlsx cell can hold it: text without control characters, anything else as it is."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def new_sheet(title: str, headers: list[str], rows: Iterable[list[Any]]) -> Any:
    """A workbook of one sheet: the headers bold and frozen, then `rows`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title
    for values in [headers, *rows]:
        sheet.append([cell_text(v) for v in values])
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":  # openpyxl reads every 「=…」 string as a formula
                cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    return book


def save_book(book: Any, output: Path) -> None:
    try:
        book.save(output)
    except OSError as exc:
        raise fail(f"无法写入 {output}：{exc.strerror or exc}", 1) from None
