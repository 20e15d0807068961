"""Spreadsheets the committee opens, written the same way wherever they come from (the command line's files, the
dashboard's downloads): CSV as UTF-8 with a BOM, .xlsx with bold frozen headers, every cell through
safeio/cells.py (names come from platform nicknames, group names and roster files)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from safeio.cells import append_row, csv_row

__all__ = ["csv_text", "new_sheet", "book_bytes", "lean_book_bytes"]


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


def lean_book_bytes(title: str, headers: Sequence[str], rows: Iterable[Sequence[object]], *,
                    widths: Sequence[int] = (), number_formats: Sequence[str | None] = ()) -> bytes:
    """A one-sheet .xlsx written in openpyxl's write-only mode: rows go to the file as they come instead of into a
    cell grid held in memory, so a 100,000-row table costs a few MB rather than hundreds. Bold frozen headers,
    column widths and number formats ("0.0%", "0.00") as new_sheet's; every cell as safeio/cells.py writes it."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    from safeio.text import excel_safe

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heads = []
    for header in headers:
        head = WriteOnlyCell(sheet, value=excel_safe(header))
        head.font = bold
        heads.append(head)
    sheet.append(heads)
    formats = {index: code for index, code in enumerate(number_formats) if code}
    for values in rows:
        # plain values where they are safe (openpyxl wraps each in a cell as it writes, much cheaper than a
        # WriteOnlyCell built here: 100,000 rows in well under 5 s, bench/dashboard.py); a cell object only where
        # needed: text starting with "=" (openpyxl would write it as a formula, which runs when the sheet is
        # opened) and numbers that carry a number format
        cells: list[object] = []
        for index, value in enumerate(values):
            if isinstance(value, str):
                kept = excel_safe(value)
                if kept.startswith("="):
                    text = WriteOnlyCell(sheet, value=kept)
                    text.data_type = "s"  # never "f"
                    cells.append(text)
                else:
                    cells.append(kept or None)
            elif value is not None and index in formats:
                number = WriteOnlyCell(sheet, value=value)
                number.number_format = formats[index]
                cells.append(number)
            else:
                cells.append(value)
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
