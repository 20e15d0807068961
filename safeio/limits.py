"""The limits a file must keep to be read at all, and the refusal when it does not.

The byte limits are a parameter (`Limits`), so that a test proves each with a small file; the others are fixed,
and small enough that a test reaches them cheaply. Each is far above what a real file needs: a bank of 100,000
questions is about 100 MB unpacked in an .xlsx, a real workbook's parts compress 4 to 20 times (bench/bombs.py
measures both), a question is a few hundred characters, a bank nests five deep."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Limits", "DEFAULT_LIMITS", "Refused", "MAX_RATIO", "RATIO_FLOOR", "MAX_DIRECTORY_BYTES", "MAX_ROWS",
           "MAX_COLUMNS", "MAX_CELL_CHARS", "MAX_DEPTH", "MAX_ALIAS_NODES", "megabytes"]

MAX_RATIO = 100  # unpacked : packed for one part of a workbook; real ones stay under 20, zip bombs reach 1,000
RATIO_FLOOR = 1 << 20  # a part smaller than this unpacks to little whatever its ratio
MAX_DIRECTORY_BYTES = 1 << 20  # a workbook's list of parts (about 20,000 entries); a real one has a few KB
MAX_ROWS = 200_000  # of a sheet or a CSV file
MAX_COLUMNS = 1_000  # a row with a value further right than this is no bank or roster
MAX_CELL_CHARS = 5_000  # a question, option, answer, explanation or name longer than this is no question or name
MAX_DEPTH = 32  # nesting of a JSON or YAML document (a bank needs five, the config four)
MAX_ALIAS_NODES = 10_000  # YAML nodes that aliases may add; a config's anchors and merge keys add dozens


@dataclass(frozen=True)
class Limits:
    """Byte limits: `file_bytes` for any file as it lies on disk, `unpacked_bytes` for an .xlsx's parts together."""

    file_bytes: int = 64 << 20
    unpacked_bytes: int = 256 << 20


DEFAULT_LIMITS = Limits()


class Refused(Exception):
    """A file, or a part of one, that is not read. `reason` is Chinese and names neither the file nor the place;
    `line` is the 1-based line of a text file or row of a sheet, when the refusal has one."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason, line)
        self.reason = reason
        self.line = line

    def __str__(self) -> str:
        return f"第 {self.line} 行：{self.reason}" if self.line is not None else self.reason


def megabytes(size: int) -> str:
    """A size as a person reads it: 64 MB, 1.5 MB, 20 KB."""
    if size >= 1 << 20:
        value, unit = size / (1 << 20), "MB"
    else:
        value, unit = size / (1 << 10), "KB"
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"
