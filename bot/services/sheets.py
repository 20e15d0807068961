"""Spreadsheets the committee opens, written the same way wherever they come from (the command line's files, the
dashboard's downloads): CSV as UTF-8 with a BOM, .xlsx with bold frozen headers, every cell through
safeio/cells.py (names come from platform nicknames, group names and roster files)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
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
    """A one-sheet .xlsx streamed row by row (the dashboard's downloads): bold frozen headers, column widths and
    number formats ("0.0%", "0.00") as new_sheet's; text always a string cell, never a formula; control characters
    dropped as safeio/text.excel_safe does for every sheet.

    Written by XlsxWriter in its constant-memory mode rather than openpyxl's write-only mode: both stream rows to a
    temporary file instead of holding a cell grid (a 100,000-member ranking costs a few MB either way), but openpyxl
    builds a cell object and an lxml element per cell, and alone took 4.5–5.3 s of the export's 5 s goal for the
    400,000 cells of 100,000 members; XlsxWriter writes the same sheet in ~3 s (bench/dashboard.py). openpyxl stays
    the reader of uploaded files and the writer of the command line's small books (new_sheet)."""
    import xlsxwriter

    from safeio.text import excel_safe

    buffer = io.BytesIO()
    # every text goes through write_string below; these options make sure nothing else turns one into a formula,
    # a number or a link
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_numbers": False, "strings_to_urls": False,
                                        "remove_timezone": True})
    try:
        sheet = book.add_worksheet(_sheet_title(title))
        for index, width in enumerate(widths):
            sheet.set_column(index, index, width)
        bold = book.add_format({"bold": True})
        for column, header in enumerate(headers):
            sheet.write_string(0, column, excel_safe(header), bold)
        sheet.freeze_panes(1, 0)
        formats = {index: book.add_format({"num_format": code}) for index, code in enumerate(number_formats) if code}
        date_format = book.add_format({"num_format": "yyyy-mm-dd"})
        time_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        write_string, write_number = sheet.write_string, sheet.write_number
        for row_index, values in enumerate(rows, start=1):
            for column, value in enumerate(values):
                # the common cases first and by exact type: this loop runs 400,000 times for 100,000 members
                kind = type(value)
                if kind is str:
                    if value:
                        write_string(row_index, column, excel_safe(value))
                elif kind is int or kind is float:
                    write_number(row_index, column, value, formats.get(column))
                elif value is None:
                    continue
                elif isinstance(value, bool):
                    sheet.write_boolean(row_index, column, value)
                elif isinstance(value, (int, float, Decimal)):
                    write_number(row_index, column, float(value), formats.get(column))
                elif isinstance(value, datetime):
                    sheet.write_datetime(row_index, column, value, time_format)
                elif isinstance(value, date):
                    sheet.write_datetime(row_index, column, value, date_format)
                else:
                    write_string(row_index, column, excel_safe(str(value)))
    finally:
        book.close()
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of []:*?/\\ (XlsxWriter refuses the file)."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip("'")
    return cleaned[:31] or "Sheet1"
