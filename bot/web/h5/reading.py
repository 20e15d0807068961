"""A study item's Markdown as a page reads it: headings, paragraphs, lists and quotes as blocks of plain text
(the project has no Markdown library; the templates escape every character, so a body can inject nothing).
Emphasis, code marks and link syntax are dropped by the chat text's own function (content.items.inline_plain)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from content.items import inline_plain

__all__ = ["Block", "blocks_of"]

_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)、])\s+(.*)$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")


@dataclass
class Block:
    kind: str  # h2 | h3 | p | ul | quote
    lines: list[str] = field(default_factory=list)


def _inline(text: str) -> str:
    return inline_plain(text).strip()


def blocks_of(markdown: str) -> list[Block]:
    blocks: list[Block] = []

    def add(kind: str, text: str) -> None:
        if blocks and blocks[-1].kind == kind and kind in ("p", "ul", "quote"):
            blocks[-1].lines.append(text)
        else:
            blocks.append(Block(kind, [text]))

    for raw in markdown.splitlines():
        if not raw.strip():
            blocks.append(Block("break"))  # ends a paragraph or list
            continue
        if heading := _HEADING.match(raw):
            add("h2" if len(heading[1]) <= 2 else "h3", _inline(heading[2]))
        elif bullet := _BULLET.match(raw):
            add("ul", _inline(bullet[1]))
        elif quote := _QUOTE.match(raw):
            add("quote", _inline(quote[1]))
        else:
            add("p", _inline(raw))
    return [b for b in blocks if b.kind != "break" and any(b.lines)]
