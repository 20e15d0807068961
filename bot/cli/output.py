"""The files the command line writes (`studybot rank`, `studybot meetings report`): a path that cannot be written
fails in one line, never a traceback.

Spreadsheet rows go through safeio/cells.py: names come from platform nicknames, group names and roster files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot.cli.common import fail
from safeio.cells import append_row
from safeio.oserrors import os_reason

__all__ = ["write_text", "new_sheet", "save_book"]


def write_text(output: Path, text: str) -> None:
    try:
        output.write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise fail(f"无法写入 {output}：{os_reason(exc, writing=True)}", 1) from None


def new_sheet(title: str, headers: list[str], rows: Iterable[list[Any]]) -> Any:
    """A workbook of one sheet: the headers bold and frozen, then `rows`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title
    for values in [headers, *rows]:
        append_row(sheet, values)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    return book


def save_book(book: Any, output: Path) -> None:
    try:
        book.save(output)
    except OSError as exc:
        raise fail(f"无法写入 {output}：{os_reason(exc, writing=True)}", 1) from None
