"""The names of banks, branches and groups: typed by users (a bank's --name, a roster's 支部 column) or taken from a
platform (a group's title becomes the branch of the group's first message). A name is shown in chat and tables
and a bank's name becomes the file `bank export` writes, so one rule for all of them: not empty once trimmed, at
most MAX_NAME_CHARS characters, no control characters, and nothing that makes it a path — no 「/」 or 「\\」, no
「..」, not starting with 「.」 (a hidden file on Linux and macOS).

    name_problem("题库名", name)   # why the name is refused, in Chinese, or None
    clean_name(title)              # a platform's group title made acceptable (never refused: see there)"""

from __future__ import annotations

import re
import unicodedata

from safeio.text import plain_text

__all__ = ["MAX_NAME_CHARS", "name_problem", "clean_name", "file_stem"]

MAX_NAME_CHARS = 40
_SEPARATORS = {"/": "／", "\\": "＼"}
# what Windows refuses in a file name (a 「:」 even names a hidden stream of the file before it)
_WINDOWS = re.compile(r'[<>:"|?*]')


def _control(text: str) -> str | None:
    """The first control or bidirectional-override character (which can make 「abc\u202excod.exe」 read
    「abcexe.doc」), as U+XXXX."""
    for ch in text:
        if unicodedata.category(ch) == "Cc" or "\u202a" <= ch <= "\u202e" or "\u2066" <= ch <= "\u2069":
            return f"U+{ord(ch):04X}"
    return None


def name_problem(label: str, name: str) -> str | None:
    """Why `name` cannot be the name `label` says it is (题库名, 支部名, 群名), in Chinese; None when it can."""
    text = name.strip()
    if not text:
        return f"{label}不能为空"
    shown = text if len(text) <= 20 else text[:19] + "…"
    if len(text) > MAX_NAME_CHARS:
        return f"{label}「{shown}」过长（{len(text)} 字，最多 {MAX_NAME_CHARS} 字）"
    if (control := _control(text)) is not None:
        return f"{label}中有不可见的控制字符（{control}），请删去"
    if "/" in text or "\\" in text:
        return f"{label}「{shown}」不能含有「/」或「\\」"
    if ".." in text or text.startswith("."):
        return f"{label}「{shown}」不能含有「..」，也不能以「.」开头"
    return None


def clean_name(name: str, fallback: str) -> str:
    """`name` (a group title from a platform) made to pass name_problem, as close to it as can be: what is
    invisible dropped, 「/」 and 「\\」 in their full-width forms 「／」「＼」, dots in a row and a leading dot
    as 「．」, spaces in a row as one, cut to MAX_NAME_CHARS; `fallback` when nothing is left. A name that
    passes already is returned as it is. The message is not dropped for its group's title."""
    if name_problem("", name) is None:
        return name.strip()
    text = plain_text(name)
    # a line break or tab as a space; a bidirectional override dropped
    text = "".join(" " if unicodedata.category(ch) == "Cc" else "" if _control(ch) else ch for ch in text)
    text = " ".join(text.split())
    text = "".join(_SEPARATORS.get(ch, ch) for ch in text)
    text = re.sub(r"\.{2,}", lambda dots: "．" * len(dots.group()), text)
    text = re.sub(r"^\.", "．", text)
    text = text[:MAX_NAME_CHARS].strip()
    return text if name_problem("", text) is None else fallback


def file_stem(name: str) -> str:
    """A name that passed name_problem as a file name on every system: what Windows refuses as 「_」."""
    return _WINDOWS.sub("_", name)
