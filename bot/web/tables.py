"""Every dashboard table as a download: .xlsx (streamed by XlsxWriter, bot/services/sheets.py, so a large table
goes into the file rather than into memory) or .csv (UTF-8 with a BOM, so Excel opens Chinese correctly). Cells go
through safeio/cells.py either way: a name that starts with 「=」 is text, never a formula. Each download leaves an
audit line."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from starlette.responses import Response

from bot.services.sheets import csv_text, lean_book_bytes
from bot.storage.web_logins import audit
from bot.web.dashboard import Dashboard, Refused
from bot.web.viewer import Viewer

__all__ = ["Column", "Table", "download", "table_file", "FORMATS", "MEDIA_TYPES"]

MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8"}
FORMATS = tuple(MEDIA_TYPES)


@dataclass(frozen=True)
class Column:
    label: str
    number_format: str | None = None  # "0.0%" or "0.00": a number in the sheet, its text in the CSV and on screen
    width: int = 12

    def text(self, value: object) -> object:
        """The value as the screen and the CSV show it (「45.0%」, 「12.50」); others as they are."""
        if value is None:
            return ""
        if self.number_format == "0.0%" and isinstance(value, (int, float)):
            return f"{value:.1%}"
        if self.number_format == "0.00" and isinstance(value, (int, float)):
            return f"{value:.2f}"
        return value


@dataclass(frozen=True)
class Table:
    title: str  # the sheet's name and the file's (e.g. 「第一党支部-成员」)
    columns: Sequence[Column]
    rows: Iterable[Sequence[object]]  # values in column order, numbers as numbers


def download(dash: Dashboard, viewer: Viewer, table: Table, fmt: str, what: str) -> Response:
    """`table` as an attachment in `fmt` (xlsx or csv; anything else is Refused(404)), with an audit line saying
    who downloaded `what` and how many rows."""
    if fmt not in MEDIA_TYPES:
        raise Refused(404, "只能导出 xlsx 或 csv。", "没有这个页面")
    rows = [list(row) for row in table.rows]
    now = dash.app.clock.now()
    with dash.app.db.session() as session:
        audit(session=session, member_id=viewer.member_id, action="export", detail=f"{what} {fmt}，{len(rows)} 行",
              now=now)
        session.commit()
    return table_file(Table(table.title, table.columns, rows), fmt)


def table_file(table: Table, fmt: str) -> Response:
    """`table` as an attachment in `fmt` (xlsx or csv), nothing recorded: for a caller that writes its own audit
    line with what it did (issuing binding codes)."""
    if fmt not in MEDIA_TYPES:
        raise Refused(404, "只能导出 xlsx 或 csv。", "没有这个页面")
    rows = [list(row) for row in table.rows]
    headers = [c.label for c in table.columns]
    if fmt == "xlsx":
        body: bytes | str = lean_book_bytes(table.title, headers, rows, widths=[c.width for c in table.columns],
                                            number_formats=[c.number_format for c in table.columns])
    else:
        body = csv_text(headers, ([c.text(v) for c, v in zip(table.columns, row)] for row in rows))
    name = f"{table.title}.{fmt}"
    disposition = f"attachment; filename=\"studybot.{fmt}\"; filename*=UTF-8''{quote(name)}"
    return Response(body, media_type=MEDIA_TYPES[fmt], headers={"Content-Disposition": disposition})
