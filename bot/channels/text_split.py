"""Text cut to a platform's limit in UTF-8 bytes, never inside a character.

`split_at_lines` is how the WeCom app splits a long private message and the smart robot a
long markdown push. Two adapters split by rules of their own, kept with them because the
pieces differ: the Official Account (wechat_mp.split_text) counts each line's break against
the limit and drops blank parts; the group webhook (wecom_webhook.split_utf8) takes as many
bytes as fit and cuts back to the last line break in them."""

from __future__ import annotations

__all__ = ["cut_bytes", "split_at_lines"]


def cut_bytes(text: str, limit: int) -> str:
    """The longest start of `text` that is at most `limit` UTF-8 bytes of whole characters."""
    data = text.encode()
    return text if len(data) <= limit else data[:limit].decode(errors="ignore")


def split_at_lines(text: str, limit: int, *, any_break: bool = False) -> list[str]:
    """`text` in pieces of at most `limit` UTF-8 bytes, cut between lines where possible and a
    line longer than `limit` between characters. The pieces of a line are joined by "\\n".

    Lines end at "\\n" only (a trailing empty line is kept), or, with `any_break`, at every
    break str.splitlines knows ("\\r\\n", "\\r", …; a trailing break is dropped). Text that
    fits is returned as it is."""
    if len(text.encode()) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in (text.splitlines() if any_break else text.split("\n")):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate.encode()) <= limit:
            current = candidate
            continue
        if current:
            pieces.append(current)
        current = line
        while len(current.encode()) > limit:  # a single line longer than the limit
            head = cut_bytes(current, limit) or current[0]  # a character wider than the limit: alone
            pieces.append(head)
            current = current[len(head):]
    if current:
        pieces.append(current)
    return pieces
