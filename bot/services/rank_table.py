"""The points ranking as rows a person reads or a spreadsheet holds: the columns, the records and the .csv and
.xlsx files, shared by `studybot rank` and the dashboard's 排行 exports (so both write the same cells, escaped
the same way: safeio/cells.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.services.sheets import csv_text, lean_book_bytes, new_sheet
from bot.storage.ranking import BranchRank, MemberRank

__all__ = ["MEMBER_COLUMNS", "BRANCH_COLUMNS", "member_records", "branch_records", "cell", "rank_csv", "rank_book",
           "rank_xlsx"]

# column key -> Chinese header, in output order
MEMBER_COLUMNS = {"rank": "名次", "name": "姓名", "branch": "支部", "points": "积分"}
BRANCH_COLUMNS = {"rank": "名次", "name": "支部", "members": "人数", "participants": "参与人数",
                  "total_points": "总积分", "average_points": "人均积分", "participation_rate": "参与率"}


def member_records(rows: Sequence[MemberRank]) -> list[dict[str, Any]]:
    return [{"rank": r.rank, "name": r.name, "branch": r.branch, "points": r.points, "member_id": r.member_id}
            for r in rows]


def branch_records(branches: Sequence[BranchRank]) -> list[dict[str, Any]]:
    return [{"rank": b.rank, "name": b.name, "branch": b.name, "points": round(b.average_points, 2),
             "total_points": b.total_points, "average_points": round(b.average_points, 2), "members": b.members,
             "participants": b.participants, "participation_rate": round(b.participation_rate, 4),
             "branch_id": b.branch_id} for b in branches]


def cell(key: str, value: Any, spreadsheet: bool = False) -> Any:
    """A value as shown (text: 「45.0%」, 「12.50」) or, in a spreadsheet, as a number its cell format shows."""
    if key == "participation_rate":
        return value if spreadsheet else f"{value:.1%}"
    if key == "average_points":
        return value if spreadsheet else f"{value:.2f}"
    return value


def rank_csv(records: Sequence[dict[str, Any]], columns: dict[str, str], newline: str = "\r\n") -> str:
    """UTF-8 CSV text with a BOM, formula-like text escaped (csv_text)."""
    values = ([cell(key, record[key]) for key in columns] for record in records)
    return csv_text(list(columns.values()), values, newline)


def rank_book(records: Sequence[dict[str, Any]], columns: dict[str, str], kind: str) -> Any:
    """An openpyxl workbook of one sheet 「{kind}排行」, numbers as numbers with their formats."""
    from openpyxl.utils import get_column_letter

    workbook = new_sheet(f"{kind}排行", list(columns.values()),
                         ([cell(key, record[key], spreadsheet=True) for key in columns] for record in records))
    sheet = workbook.active
    for index, key in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = 20 if key in ("name", "branch") else 12
        if key == "participation_rate":
            for (value,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                value.number_format = "0.0%"
        elif key == "average_points":
            for (value,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                value.number_format = "0.00"
    return workbook


def rank_xlsx(records: Sequence[dict[str, Any]], columns: dict[str, str], kind: str) -> bytes:
    """rank_book's sheet as .xlsx bytes, streamed row by row (sheets.lean_book_bytes): the same
    sheet name, headers, widths and number formats, without holding a cell grid of every member in memory."""
    widths = [20 if key in ("name", "branch") else 12 for key in columns]
    formats = [{"participation_rate": "0.0%", "average_points": "0.00"}.get(key) for key in columns]
    return lean_book_bytes(f"{kind}排行", list(columns.values()),
                           ([cell(key, record[key], spreadsheet=True) for key in columns] for record in records),
                           widths=widths, number_formats=formats)
