"""Spreadsheets the committee opens, written the same way wherever they come from (the command line's files, the
dashboard's downloads): CSV as UTF-8 with a BOM, .xlsx with bold frozen headers, every cell through
safeio/cells.py (names come from platform nicknames, group names and roster files)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from safeio.cells import append_row, csv_row

__all__ = ["csv_text", "new_sheet", "book_bytes"]


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[object]], newline: str = "\r\n") -> str:
    """A CSV for Excel: UTF-8 with a BOM (else Excel reads the ANSI code page), each text cell through csv_escape
    (safeio/cells.py) so that none runs as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(csv_row(row))
    return "\ufeff" + buffer.getvalue()


def new_sheet(title: str, headers: list[str], rows: Iterable[list[Any]]) -> Any:
    """A workbook of one sheet: the headers bold and frozen, then `rows`."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title
    for values in [headers, *rows]:
        append_row(sheet, values)
    for header in sheet[1]:
        header.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    return book


def book_bytes(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
