"""A question's key ("contest:12:q0") written into a platform's card id and read back from it, so a
tap tells the core which question's card was tapped (`Incoming.question_key`), even after a restart.

The key is written with letters, digits and "-" as they are and every other byte as "_" and two
upper-case hex digits ("contest_3A12_3Aq0"): reversible, readable in logs, and within what WeCom's
task_id ("[A-Za-z0-9_-@]") and DingTalk's outTrackId take. A key longer than the id has room for is
cut at a whole escape and no longer reads back as itself; the core then treats the tap as one on an
unknown card. Pure: no state."""

from __future__ import annotations

import re

__all__ = ["encode", "decode"]

_PLAIN = re.compile(r"[A-Za-z0-9-]")
_ENCODED = re.compile(r"(?:[A-Za-z0-9-]|_[0-9A-F]{2})*")


def encode(key: str, limit: int | None = None) -> str:
    """`key` in the id's alphabet, at most `limit` characters (cut between whole characters)."""
    out: list[str] = []
    size = 0
    for ch in key:
        part = ch if _PLAIN.fullmatch(ch) else "".join(f"_{b:02X}" for b in ch.encode())
        if limit is not None and size + len(part) > limit:
            break
        out.append(part)
        size += len(part)
    return "".join(out)


def decode(text: str) -> str | None:
    """The key written by `encode`, or None when `text` is not one (a forged or foreign id)."""
    if not _ENCODED.fullmatch(text):
        return None
    raw = bytearray()
    i = 0
    while i < len(text):
        if text[i] == "_":
            raw.append(int(text[i + 1:i + 3], 16))
            i += 3
        else:
            raw += text[i].encode()
            i += 1
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return None
