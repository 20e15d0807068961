"""The files the command line writes (`studybot rank`, `studybot meetings report`, `studybot bank export`,
`studybot init`): one rule for all of them.

- An existing file is replaced only with --force (refuse_existing), before any work is done: the roster next to
  the report must not become the report.
- The format is the one --format names, else the one the file's extension names (choose_format); a --format that
  the extension contradicts (`-o 排行.xlsx --format csv`) is refused rather than writing CSV into an .xlsx.
- The file is written beside its target and then put in its place (safeio/files.py), so a failed write leaves the
  old file as it was; a path that cannot be written fails in one line, never a traceback.

Spreadsheets are written by bot/services/sheets.py (csv_text, new_sheet: re-exported here), shared with the
dashboard."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from bot.cli.common import fail
from bot.services.sheets import csv_text, new_sheet
from safeio.files import FORMAT_OF_SUFFIX, format_of, replace_file
from safeio.oserrors import os_reason

__all__ = ["ForceOption", "refuse_existing", "choose_format", "write_file", "write_text", "csv_text", "new_sheet",
           "save_book"]

_T = TypeVar("_T")

ForceOption = Annotated[bool, typer.Option("--force", help="输出文件已存在时覆盖它（默认：不覆盖，报错退出）")]


def refuse_existing(output: Path, force: bool) -> None:
    """Exit 1, nothing written, when `output` is there already and --force was not given (or is a folder)."""
    if output.is_dir():
        raise fail(f"{output} 是一个文件夹，请在 --output 中写出文件名，例如 {output / ('结果' + output.suffix)}", 1)
    if output.exists() and not force:
        raise fail(f"{output} 已存在；如需覆盖请加 --force", 1)


def choose_format(format_: str | None, output: Path | None, allowed: Sequence[str], default: str) -> str:
    """The format to write: --format when given (one of `allowed`), else what `output`'s extension names, else
    `default`. A --format the extension contradicts, or an extension naming a format this command cannot write,
    exits 2."""
    named = format_of(output) if output is not None else None
    if format_ is not None:
        fmt = format_.strip().lower()
        if fmt not in allowed:
            raise fail(f"--format 应为 {'、'.join(allowed)} 之一，实为「{format_}」")
        if output is not None and named is not None and named != fmt:
            wanted = next((s for s, f in FORMAT_OF_SUFFIX.items() if f == fmt), None)
            rename = f"，或把文件名改为 {output.stem}{wanted}" if wanted else ""
            raise fail(f"--format {fmt} 与输出文件 {output.name} 的扩展名（{output.suffix}，即 {named} 格式）不一致："
                       f"请去掉 --format（按扩展名写出 {named}）{rename}")
        return fmt
    if named is None:
        return default
    if named not in allowed:
        shown = output.name if output is not None else ""
        raise fail(f"不能写出 {named} 格式的文件（{shown}）：可用的格式为 {'、'.join(allowed)}，"
                   "请换一个扩展名或用 --format 指定")
    return named


def write_file(output: Path, write: Callable[[Path], _T]) -> _T:
    """`write(path)` into a file beside `output` that then takes its place; exit 1 in one line when it fails."""
    if not output.parent.is_dir():  # named as the user typed it (the temporary file beside it is absolute)
        raise fail(f"无法写入 {output}：目录 {output.parent} 不存在", 1)
    try:
        return replace_file(output, write)
    except OSError as exc:
        raise fail(f"无法写入 {output}：{os_reason(exc, writing=True)}", 1) from None


def write_text(output: Path, text: str) -> None:
    write_file(output, lambda path: path.write_text(text, encoding="utf-8", newline=""))


def save_book(book: Any, output: Path) -> None:
    write_file(output, lambda path: book.save(path))
