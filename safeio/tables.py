"""Spreadsheets as rows, bounded before and while they are read: CSV records and .xlsx sheets, for question banks
and rosters alike. Row n (as Excel shows it) is rows[n - 1]; a row's trailing empty cells are dropped.

An .xlsx is a zip: before openpyxl opens it, each part's unpacked size (which Python's zipfile holds a part to:
a part that unpacks to more than it declares fails its CRC check) is added up against `Limits.unpacked_bytes`, and
a part that unpacks more than MAX_RATIO times is refused, so that a 1.5 MB file cannot become 1.5 GB of text.
While a sheet is read, its rows are bounded (MAX_ROWS) and cut to their last value, whatever the sheet's
<dimension> claims: openpyxl pads every row to the claimed width, and A1:XFD… is 16,384 columns."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from safeio.limits import (
    DEFAULT_LIMITS,
    MAX_COLUMNS,
    MAX_DIRECTORY_BYTES,
    MAX_RATIO,
    MAX_ROWS,
    RATIO_FLOOR,
    Limits,
    Refused,
    megabytes,
)

__all__ = ["csv_rows", "read_sheets", "check_workbook", "Rows"]

Rows = list[Sequence[object]]
_TOO_MANY_ROWS = f"超过 {MAX_ROWS} 行：一次最多读取 {MAX_ROWS} 行，请分成几个文件"


def csv_rows(text: str, delimiter: str) -> Rows:
    """The records of CSV `text`; Refused (with the row) past MAX_ROWS or for a record the csv module cannot read,
    such as a cell longer than its field limit (131,072 characters)."""
    rows: Rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            if len(rows) == MAX_ROWS:
                raise Refused(_TOO_MANY_ROWS)
            rows.append(row)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise Refused(f"有单元格过长（超过 {csv.field_size_limit()} 字）", len(rows) + 1) from None
        raise Refused(f"CSV 格式有误（{exc}）", len(rows) + 1) from None
    return rows


def check_workbook(path: Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refused when the file, its parts unpacked, or one part's compression ratio is over the limits; a file that
    is no zip at all is left to openpyxl, whose error read_sheets words."""
    size = path.stat().st_size
    if size > limits.file_bytes:
        raise Refused(f"文件过大（{megabytes(size)}，最多 {megabytes(limits.file_bytes)}）")
    directory = _directory_size(path)
    if directory is not None and directory > MAX_DIRECTORY_BYTES:
        raise Refused(f"其中的文件目录有 {megabytes(directory)}（正常的表格不过几 KB），"
                      "疑似损坏或「压缩炸弹」，已拒绝读取")
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except zipfile.BadZipFile:
        return
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.unpacked_bytes:
        raise Refused(f"解压后过大（{megabytes(unpacked)}，最多 {megabytes(limits.unpacked_bytes)}）："
                      "表格太大或已损坏，请分成几个文件，或用 Excel 打开后另存再试")
    for part in parts:
        if part.file_size >= RATIO_FLOOR and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            ratio = part.file_size // max(part.compress_size, 1)
            raise Refused(f"其中的 {part.filename[:60]} 压缩了 {ratio} 倍（正常的表格不超过 {MAX_RATIO} 倍），"
                          "疑似「压缩炸弹」，已拒绝读取；如确是表格，请用 Excel 打开后另存再试")


def _directory_size(path: Path) -> int | None:
    """The size the zip's end record gives its central directory, which zipfile reads whole and turns into an
    object per entry (a 64 MB file of empty entries would be 700,000 of them); None when there is no end record."""
    with path.open("rb") as file:
        file.seek(0, 2)
        file.seek(max(0, file.tell() - (1 << 16) - 22))  # the record ends the file, after a comment of up to 64 KB
        tail = file.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) < at + 22:
            return None
        size = int.from_bytes(tail[at + 12:at + 16], "little")
        locator = tail[at - 20:at] if at >= 20 else b""
        if size == 0xFFFFFFFF and locator.startswith(b"PK\x06\x07"):  # ZIP64: the size is in a record of its own
            file.seek(int.from_bytes(locator[8:16], "little"))
            record = file.read(56)
            if record.startswith(b"PK\x06\x06") and len(record) == 56:
                size = int.from_bytes(record[40:48], "little")
        return size


def read_sheets(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[tuple[str, Rows]]:
    """Every worksheet's title and rows (values as openpyxl reads them: text, numbers, dates), after
    check_workbook. Refused for a bound exceeded or a file openpyxl cannot read; PermissionError and
    FileNotFoundError are the caller's to word."""
    check_workbook(path, limits)
    import openpyxl  # only when a workbook is read: importing the readers stays fast
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            sheets: list[tuple[str, Rows]] = []
            for sheet in workbook.worksheets:
                if isinstance(sheet, ReadOnlyWorksheet):  # forget the claimed size: rows as wide as their last cell
                    sheet.reset_dimensions()
                sheets.append((sheet.title, _rows(sheet.title, sheet.iter_rows(values_only=True))))
            return sheets
        finally:
            workbook.close()
    except (PermissionError, FileNotFoundError, Refused):
        raise
    except Exception as exc:  # a damaged or renamed file can fail anywhere inside openpyxl
        raise Refused(f"不是有效的 .xlsx 文件（{type(exc).__name__}），请用 Excel 打开后另存为 .xlsx 再试") from None


def _rows(title: str, values: Iterable[Sequence[object]]) -> Rows:
    rows: Rows = []
    for number, row in enumerate(values, start=1):
        if number > MAX_ROWS:
            raise Refused(f"工作表「{title[:31]}」{_TOO_MANY_ROWS}")
        end = len(row)
        while end and row[end - 1] is None:
            end -= 1
        if end > MAX_COLUMNS:
            raise Refused(f"工作表「{title[:31]}」第 {number} 行第 {end} 列有内容：一行最多读取 {MAX_COLUMNS} 列")
        rows.append(row[:end] if end < len(row) else row)
    return rows
