"""Rows written into an .xlsx that the committee will open: names come from platform nicknames, group titles and
roster files, so a cell may hold what a sheet cannot or should not. Control characters are dropped (XML 1.0 has
no place for them; openpyxl refuses the whole file), and text that starts with 「=」 is stored as text, not as a
formula the spreadsheet would run when it is opened (openpyxl reads every 「=…」 string as one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from safeio.text import excel_safe

__all__ = ["append_row"]


def append_row(sheet: Any, values: Sequence[object]) -> bool:
    """Append `values` (empty strings as empty cells) to an openpyxl worksheet as text and numbers only;
    True when a control character had to be dropped."""
    cleaned = [excel_safe(value) for value in values]
    sheet.append([None if value == "" else value for value in cleaned])
    for cell in sheet[sheet.max_row]:
        if cell.data_type == "f":
            cell.data_type = "s"
    return cleaned != list(values)
