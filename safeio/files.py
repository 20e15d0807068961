"""Writing a file the user named so that a failure never leaves half of it where the old one was: the content goes
to a temporary file in the same folder (same file system, so the rename is atomic), which then replaces the
target in one step (os.replace). A write that fails removes its temporary file and leaves the target as it was.

    replace_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    replace_file(path, workbook.save)"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

__all__ = ["replace_file", "FORMAT_OF_SUFFIX", "format_of"]

_T = TypeVar("_T")

# what a file's extension says it is: the formats the command line reads and writes
FORMAT_OF_SUFFIX = {".csv": "csv", ".xlsx": "xlsx", ".json": "json", ".yaml": "yaml", ".yml": "yaml"}


def format_of(path: Path) -> str | None:
    """The format `path`'s extension names (csv, xlsx, json, yaml), or None for any other extension."""
    return FORMAT_OF_SUFFIX.get(path.suffix.lower())


def replace_file(path: Path, write: Callable[[Path], _T]) -> _T:
    """`write(temporary path)`, then the temporary file takes `path`'s place; what `write` returned.
    OSError (and whatever `write` raises) passes through, with `path` untouched."""
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(descriptor)
    temporary = Path(name)
    try:
        temporary.chmod(_mode(path))  # mkstemp makes it private (0600): give it the mode a new file would have
        result = write(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return result


def _mode(path: Path) -> int:
    """The replaced file's permissions, or those the umask gives a new file."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
