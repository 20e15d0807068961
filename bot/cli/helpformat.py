"""Laying out a Chinese help page: click counts every character as one column, but a Chinese character (and a
full-width mark) takes two on a terminal, so its columns would not line up and its lines would run past the edge.
Widths here are display widths; the words are click's (the headings and the usage prefix in Chinese)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from typer._click.formatting import HelpFormatter

__all__ = ["ChineseFormatter", "display_width", "wrap"]

# a note in brackets ([默认：20；至少 1]) or an ASCII word, kept whole; one space; or any other single character
# (Chinese breaks between any two)
_TOKENS = re.compile(r"\[[^\]\n]{0,40}\]|[!-~]+| |[^ ]")
_NO_LINE_START = set("，。、；：？！）」』】》…")


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1
               for ch in text)


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` columns (a longer word stands alone), breaking between words and between
    Chinese characters but not before closing punctuation."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line, used = "", 0
        for token in _TOKENS.findall(" ".join(paragraph.split())):
            size = display_width(token)
            if used + size > width and line.strip() and token != " " and token[0] not in _NO_LINE_START:
                lines.append(line.rstrip())
                line, used = "", 0
            if token == " " and not line:
                continue
            line, used = line + token, used + size
        lines.append(line.rstrip())
    return lines


class ChineseFormatter(HelpFormatter):
    """「用法：」 and 「选项：」 rather than "Usage: " and "Options:", and two-column lists measured in display
    columns."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, "用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{heading}：\n")

    def write_text(self, text: str) -> None:
        """Paragraphs (split at blank lines) wrapped to the width; one that starts with click's \\b line is kept
        as written (an example command)."""
        indent = " " * self.current_indent
        width = max(self.width - self.current_indent, 20)
        paragraphs = re.split(r"\n\s*\n", text.strip("\n"))
        for number, paragraph in enumerate(paragraphs):
            if number:
                self.write("\n")
            if paragraph.startswith("\b"):
                kept = paragraph.splitlines()[1:]
            else:
                kept = wrap(paragraph, width)
            for line in kept:
                self.write(f"{indent}{line}\n" if line else "\n")

    def write_dl(self, rows: Sequence[tuple[str, str]] | Iterable[tuple[str, str]], col_max: int = 30,
                 col_spacing: int = 2) -> None:
        rows = list(rows)
        first = min(max((display_width(name) for name, _ in rows), default=0), col_max)
        indent = " " * self.current_indent
        text_at = self.current_indent + first + col_spacing
        text_width = max(self.width - text_at, 20)
        for name, text in rows:
            self.write(f"{indent}{name}")
            if not text:
                self.write("\n")
                continue
            if display_width(name) <= first:
                self.write(" " * (first - display_width(name) + col_spacing))
            else:
                self.write("\n" + " " * text_at)
            lines = wrap(text, text_width)
            self.write(lines[0] + "\n")
            for line in lines[1:]:
                self.write(" " * text_at + line + "\n")
