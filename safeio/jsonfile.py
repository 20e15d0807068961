"""Nesting of a JSON document, checked before it is parsed: json.loads recurses once per level and ends in a
RecursionError (a traceback, not a message) at about a thousand, and code that walks the result recurses too."""

from __future__ import annotations

import re

from safeio.limits import MAX_DEPTH, Refused

__all__ = ["check_nesting"]

# a string (its brackets are text; an unterminated one ends at the line's end, where json.loads will complain) or
# a bracket; everything else is skipped by the search itself, so only these are looked at
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|[\[\]{}]')


def check_nesting(text: str, limit: int = MAX_DEPTH) -> None:
    """Refused (with the line) when lists and objects in `text` nest deeper than `limit`. Brackets need not match:
    malformed JSON is json.loads' to report."""
    depth = 0
    for token in _TOKEN.finditer(text):
        bracket = token.group()
        if bracket in ("[", "{"):
            depth += 1
            if depth > limit:
                raise Refused(f"JSON 嵌套超过 {limit} 层（正常的数据只有几层）", text.count("\n", 0, token.start()) + 1)
        elif bracket in ("]", "}"):
            depth -= 1
