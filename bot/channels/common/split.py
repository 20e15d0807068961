"""Text cut to a platform's limit in UTF-8 bytes: one rule for every channel, only the limit differs
(WeCom text 2,048 and markdown 4,096 bytes, a smart-robot push 4,000, an Official Account reply
2,048, DingTalk 5,000).

What a member reads: a text that fits is sent as it is; a longer one is cut between lines (any
line break), a line longer than the limit between characters, never inside one. The break at a
cut, and blank lines around it, are dropped: the next message starts with words, not a gap. A
blank text is no message at all."""

from __future__ import annotations

__all__ = ["cut_bytes", "split_text"]


def cut_bytes(text: str, limit: int) -> str:
    """The longest start of `text` that is at most `limit` UTF-8 bytes of whole characters."""
    data = text.encode()
    return text if len(data) <= limit else data[:limit].decode(errors="ignore")


def split_text(text: str, limit: int) -> list[str]:
    """`text` in pieces of at most `limit` UTF-8 bytes (see the module's docstring); [] when blank."""
    if not text.strip():
        return []
    if len(text.encode()) <= limit:
        return [text]
    pieces: list[str] = []
    lines: list[str] = []  # the piece being filled
    size = 0  # its UTF-8 bytes, joined by "\n"
    for line in text.splitlines():
        width = len(line.encode())
        if lines and size + 1 + width <= limit:
            lines.append(line)
            size += 1 + width
            continue
        if lines:
            pieces.append("\n".join(lines))
        while width > limit:  # a single line longer than the limit
            head = cut_bytes(line, limit) or line[0]  # a character wider than the limit goes alone
            pieces.append(head)
            line = line[len(head):]
            width = len(line.encode())
        lines, size = [line], width
    pieces.append("\n".join(lines))
    return [piece.strip("\n") for piece in pieces if piece.strip()]
