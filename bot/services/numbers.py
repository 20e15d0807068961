"""Numbers people type: a meeting's or a push's 编号 in chat and on the command line, a contest's 题数 and 秒数.

`str.isdigit` and `int` take more than a person means: superscripts (「²」, which `int` then refuses), other
scripts' digits, and numbers so long that the database cannot hold them. A number here is ASCII digits, or the
full-width digits a Chinese keyboard types, and short enough to be a number anyone means."""

from __future__ import annotations

import re

__all__ = ["DIGITS", "MAX_NUMBER", "parse_number"]

DIGITS = "0-9０-９"  # for a regular expression's character class
MAX_NUMBER = 999_999_999
_NUMBER = re.compile(f"[{DIGITS}]{{1,{len(str(MAX_NUMBER))}}}")


def parse_number(text: str) -> int | None:
    """The whole number `text` is (surrounding blanks aside), or None when it is anything else."""
    stripped = text.strip()
    return int(stripped) if _NUMBER.fullmatch(stripped) else None
