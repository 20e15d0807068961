"""Minutes from a file (`studybot meetings minutes ID --file`): Markdown or plain text whose headings
(「## 主持人」) or, in plain text, labelled lines (「主持人：张三」) name the fields; the text under each heading is
that field. A title before the first field is left out; other headings inside a field (「### 一、学习内容」) are
part of its text. A Word file (.docx, read by python-docx) works the same: its headings (标题 styles) or
labelled paragraphs (「主持人：张三」) start the fields."""

from __future__ import annotations

import re
from pathlib import Path

from bot.storage.minutes import MINUTES_FIELDS
from safeio.limits import Refused
from safeio.oserrors import os_reason
from safeio.tables import check_workbook
from safeio.text import read_bytes, read_text

__all__ = ["MinutesFileError", "read_minutes_file", "parse_minutes_text"]

NAME_SIZE = 100
_ALIASES = {"主持人": "chair", "主持": "chair", "记录人": "recorder", "记录": "recorder",
            "议程/主题": "agenda", "议程": "agenda", "主题": "agenda", "会议议程": "agenda", "会议主题": "agenda",
            "议题": "agenda", "主要内容": "content", "会议内容": "content", "内容": "content",
            "决议事项": "decisions", "决议": "decisions", "会议决议": "decisions", "决定事项": "decisions"}
_LABELS = "|".join(re.escape(label) for label in sorted(_ALIASES, key=len, reverse=True))
# 「## 主持人」「## 主持人：张三」「主持人：张三」「**主持人**：张三」
_HEADING = re.compile(rf"^\s*#{{1,6}}\s*(?:\*\*)?({_LABELS})(?:\*\*)?\s*(?:[：:]\s*(.*))?$")
_LABELLED = re.compile(rf"^\s*(?:\*\*)?({_LABELS})(?:\*\*)?\s*[：:]\s*(.*)$")
_LABEL_NAMES = dict(MINUTES_FIELDS)


class MinutesFileError(Exception):
    """Why the file gives no minutes, in Chinese (without the file's name: the caller says it)."""


def read_minutes_file(path: Path) -> dict[str, str]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".docx":
            return parse_minutes_text(_docx_text(path), labelled=True)
        if suffix not in (".md", ".markdown", ".txt"):
            raise MinutesFileError("只能导入 .docx、.md 或 .txt 文件（按「主持人」「记录人」「议程」「主要内容」"
                                   "「决议事项」分段）。")
        return parse_minutes_text(read_text(path, gbk=True), labelled=suffix == ".txt")
    except OSError as exc:
        raise MinutesFileError(f"无法读取（{os_reason(exc)}）") from None
    except Refused as exc:
        raise MinutesFileError(str(exc)) from None


def _docx_text(path: Path) -> str:
    import io
    import zipfile

    import docx

    check_workbook(path)  # a .docx is a zip as an .xlsx is: refused if it unpacks past the limits
    try:
        document = docx.Document(io.BytesIO(read_bytes(path)))
    except (zipfile.BadZipFile, KeyError, ValueError):  # not a Word file, or one without its document part
        raise MinutesFileError("不是有效的 Word 文件（.docx），请用 Word 打开后另存为 .docx 或 .txt 再试") from None
    lines = []
    for paragraph in document.paragraphs:
        heading = paragraph.style is not None and paragraph.style.name.lower().startswith(("heading", "标题"))
        lines.append(f"## {paragraph.text}" if heading else paragraph.text)
    return "\n".join(lines)


def parse_minutes_text(text: str, *, labelled: bool = False) -> dict[str, str]:
    """The fields found (every field present, "" when the file has no such part). `labelled` (plain text): a line
    「主持人：张三」 starts a field too; in Markdown only a heading does (a line of the text may begin 「内容：」)."""
    fields: dict[str, list[str]] = {}
    current: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        found = _HEADING.match(line) or (_LABELLED.match(line) if labelled else None)
        if found is None:
            if current is not None:
                fields[current].append(line)
            continue
        current = _ALIASES[found[1]]
        if current in fields:
            raise MinutesFileError(f"第 {number} 行：「{_LABEL_NAMES[current]}」出现了两次")
        fields[current] = [found[2] or ""]
    if not fields:
        raise MinutesFileError("没有找到会议记录的各部分：请用「## 主持人」「## 记录人」「## 议程」「## 主要内容」"
                               "「## 决议事项」这样的标题（或「主持人：张三」这样的行）分段。")
    result = {key: "\n".join(fields.get(key, [])).strip() for key, _ in MINUTES_FIELDS}
    for key in ("chair", "recorder"):
        if len(result[key]) > NAME_SIZE:
            raise MinutesFileError(f"「{_LABEL_NAMES[key]}」最多 {NAME_SIZE} 个字")
    return result
