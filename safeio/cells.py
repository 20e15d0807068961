"""Cells written into an .xlsx or a CSV that the committee will open: names come from platform nicknames, group
titles and roster files, and question texts from whoever wrote the bank, so a cell may hold what a sheet cannot or
should not.

- .xlsx: control characters are dropped (XML 1.0 has no place for them; openpyxl refuses the whole file), and every
  text is a string cell (data_type "s"), never a formula: openpyxl reads every 「=…」 string as one, and a string
  cell is shown as it is, whatever it starts with. The visible text is unchanged.
- CSV has no cell types: a spreadsheet parses each field as if it were typed in, so a text that starts with what
  starts a formula (OWASP's CSV-injection list: = + - @ TAB CR) is written with a leading 「'」, which Excel and
  WPS take as "this is text" and do not show. The full-width ＝＋－＠ are escaped too: Excel and WPS with a Chinese
  or Japanese input method turn a leading full-width operator into the ASCII one as the field is entered, so
  「＝HYPERLINK(…)」 can become a formula as well; escaping a harmless one costs an apostrophe, missing a harmful
  one costs a click on a live link. Numbers stay numbers: only text is escaped, and text that is just a number
  (「-3」, 「+2.5」, 「-12.5%」: what a numeric column formats) is no formula and is written as it is.

Reading a CSV back (quizzes/importers/tabular.py), csv_unescape takes off exactly the 「'」 csv_escape added: one
leading 「'」 followed by what csv_escape escapes (itself possibly after more 「'」), so a text that really starts
with 「'=」 is written 「''=」 and reads back as 「'=」. Nothing else is touched."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from safeio.text import excel_safe

__all__ = ["append_row", "csv_escape", "csv_unescape", "csv_row", "FORMULA_STARTS"]

# OWASP's list (https://owasp.org/www-community/attacks/CSV_Injection), then their full-width forms (see above)
FORMULA_STARTS = "=+-@\t\r" + "＝＋－＠"
# text that would be escaped: any number of apostrophes, then a formula start (so that 「'=」 is escaped to 「''=」)
_ESCAPED = re.compile(f"'*[{re.escape(FORMULA_STARTS)}]")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*%?")


def _needs_quote(text: str) -> bool:
    return bool(_ESCAPED.match(text)) and not _NUMBER.fullmatch(text)


def csv_escape(value: object) -> object:
    """`value` as a CSV field a spreadsheet will not run: text that starts like a formula gets a leading 「'」;
    numbers, and texts that are only a number, as they are."""
    if isinstance(value, str) and _needs_quote(value):
        return "'" + value
    return value


def csv_unescape(text: str) -> str:
    """A CSV field as it was before csv_escape: one leading 「'」 taken off when csv_escape would have added it."""
    if text.startswith("'") and _needs_quote(text[1:]):
        return text[1:]
    return text


def csv_row(values: Sequence[object]) -> list[object]:
    """A row for csv.writer, each cell through csv_escape."""
    return [csv_escape(value) for value in values]


def append_row(sheet: Any, values: Sequence[object]) -> bool:
    """Append `values` (empty strings as empty cells) to an openpyxl worksheet as text and numbers only;
    True when a control character had to be dropped."""
    from openpyxl.cell.cell import Cell

    cleaned = [excel_safe(value) for value in values]
    cells = []
    for column, value in enumerate(cleaned, start=1):
        kept: Any = None if value == "" else value
        cell = Cell(sheet, row=1, column=column, value=kept)  # append() gives it its row
        if isinstance(cell.value, str):
            cell.data_type = "s"  # never "f": a formula would run when the sheet is opened
        cells.append(cell)
    # Cells made here and appended, rather than values appended and their row looked up again afterwards: the look-up
    # (`sheet[sheet.max_row]`) scans every cell written so far, which made a 100,000-row export quadratic
    sheet.append(cells)
    return cleaned != list(values)
