"""One study item (学习资料): a Markdown file with a YAML header, parsed into a `StudyItem`, rendered for chat.

The header sits between two `---` lines at the very top of the file; everything after it is the body. Problems
are raised as `ItemError` with the file's line number, so whoever maintains the library can fix the file
without reading Python. Pure code: no I/O here (the caller reads the file and passes its text)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from safeio.limits import Refused
from safeio.yamlfile import BoundedLoader

__all__ = ["StudyItem", "ItemError", "parse_item", "render_item", "HEADER_KEYS", "shown_path", "inline_plain"]

# reviewed: who checked the item against its sources, and when (「2026-12-01 张**」); empty until a Party-affairs
# colleague has: `studybot doctor` reminds secretaries of the bundled items still unreviewed
HEADER_KEYS = ("title", "tags", "source", "date", "summary", "link", "points", "reviewed")

_NULL_TAG = "tag:yaml.org,2002:null"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CUT_TAIL_LINK = "……（全文见链接）"
_CUT_TAIL = "……"
_SENTENCE_ENDS = "。！？；!?;"


class _HeaderLoader(BoundedLoader):
    """SafeLoader without YAML's implicit timestamps: `date: 2026-13-01` would otherwise fail inside PyYAML with a
    bare ValueError and no line, and `2026-3-1` would pass although we want YYYY-MM-DD; we read dates ourselves."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in BoundedLoader.yaml_implicit_resolvers.items()
    }


def shown_path(path: Path) -> str:
    """The path as a maintainer would type it: relative to the working directory when it lies below it."""
    try:
        return Path(path).relative_to(Path.cwd()).as_posix()
    except (ValueError, OSError):  # elsewhere, or the working directory is gone
        return str(path)


class ItemError(Exception):
    """A problem with one library file (or directory); `line` is 1-based, None when it concerns the whole file."""

    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        super().__init__(path, line, message)

    def __str__(self) -> str:
        where = f" 第 {self.line} 行" if self.line is not None else ""
        return f"{shown_path(self.path)}{where}：{self.message}"


@dataclass(frozen=True)
class StudyItem:
    id: str  # file stem, or "<folder>/<stem>" below the library root
    title: str
    tags: tuple[str, ...]
    source: str
    date: datetime.date | None
    summary: str
    link: str | None
    points: int | None  # None: the caller's default (settings)
    body: str  # Markdown, header removed
    folder: str  # relative to the library root, "/"-separated; "" at the root
    path: Path
    reviewed: str = ""

    @property
    def stem(self) -> str:
        return self.id.rsplit("/", 1)[-1]


def parse_item(text: str, path: Path, root: Path) -> StudyItem:
    """The item in `text` (the content of `path`, a file below the library directory `root`)."""
    path = Path(path)
    lines = text.removeprefix("\ufeff").splitlines()
    if not lines or lines[0].strip() != "---":
        raise ItemError(path, 1, "缺少头部：文件应以 --- 开头，写明 title、tags 等字段，再以 --- 结束")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        raise ItemError(path, 1, "头部没有结束：缺少第二个 --- 行")
    # File line numbers: the header's first line (lines[1]) is line 2, the closing --- is line end + 1.
    fields = _header_fields(lines[1:end], path)
    closing_line = end + 1
    body = "\n".join(lines[end + 1:]).strip()

    if "title" not in fields:
        raise ItemError(path, closing_line, "缺少 title")
    title = _text(fields, "title", path)
    if not title:
        raise ItemError(path, fields["title"][0], "title 为空")
    if not body:
        raise ItemError(path, closing_line + 1, "正文为空")
    link = _text(fields, "link", path) or None
    if link is not None and not link.startswith(("http://", "https://")):
        raise ItemError(path, fields["link"][0], f"link 应以 http:// 或 https:// 开头：{link}")

    relative = path.relative_to(root) if path.is_relative_to(root) else Path(path.name)
    folder = relative.parent.as_posix()
    folder = "" if folder == "." else folder
    return StudyItem(
        id=f"{folder}/{path.stem}" if folder else path.stem,
        title=title,
        tags=_tags(fields, path),
        source=_text(fields, "source", path),
        date=_date(fields, path),
        summary=_text(fields, "summary", path),
        link=link,
        points=_points(fields, path),
        body=body,
        folder=folder,
        path=path,
        reviewed=_text(fields, "reviewed", path),
    )


# key -> (file line of the key, value node); nodes rather than constructed values so that text fields keep what
# was typed (`title: no` stays "no", not False) and every problem can name its line.
_Fields = dict[str, tuple[int, Node]]


def _header_fields(header: list[str], path: Path) -> _Fields:
    try:
        loader = _HeaderLoader("\n".join(header))
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except Refused as exc:  # an alias bomb, nesting, a control character: the header's line 1 is the file's line 2
        raise ItemError(path, (exc.line or 1) + 1, exc.reason) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ItemError(path, mark.line + 2 if mark else 2, f"头部 YAML 格式错误（{problem}）") from exc
    if node is None:  # an empty header: reported as the missing title
        return {}
    if not isinstance(node, MappingNode):
        raise ItemError(path, node.start_mark.line + 2, "头部应为「字段: 值」的形式，例如 title: 三会一课制度要点")
    fields: _Fields = {}
    for key_node, value_node in node.value:
        key = str(key_node.value) if isinstance(key_node, ScalarNode) else "?"
        line = key_node.start_mark.line + 2
        if key not in HEADER_KEYS:
            raise ItemError(path, line, f"未知的字段 {key}（可用：{'、'.join(HEADER_KEYS)}）")
        if key in fields:
            raise ItemError(path, line, f"字段 {key} 重复（第 {fields[key][0]} 行已有）")
        fields[key] = (line, value_node)
    return fields


def _scalar(node: Node) -> str | None:
    if not isinstance(node, ScalarNode) or node.tag == _NULL_TAG:
        return None
    return str(node.value).strip()


def _text(fields: _Fields, key: str, path: Path) -> str:
    if key not in fields:
        return ""
    line, node = fields[key]
    if isinstance(node, ScalarNode):
        return _scalar(node) or ""
    raise ItemError(path, line, f"{key} 应为一段文字")


def _tags(fields: _Fields, path: Path) -> tuple[str, ...]:
    if "tags" not in fields:
        return ()
    line, node = fields["tags"]
    if isinstance(node, ScalarNode):  # `tags: 党章` is taken as one tag
        tag = _scalar(node)
        return (tag,) if tag else ()
    if isinstance(node, SequenceNode):
        tags = [_scalar(entry) for entry in node.value]
        # quoted numbers are fine, but not plain 2026 or yes: a plain scalar resolved to a non-string is a slip
        typed_str = all(isinstance(e, ScalarNode) and e.tag == "tag:yaml.org,2002:str" for e in node.value)
        if typed_str and all(tags):
            return tuple(dict.fromkeys(t for t in tags if t))
    raise ItemError(path, line, "tags 应为文字列表，例如 tags: [三会一课, 组织生活]")


def _date(fields: _Fields, path: Path) -> datetime.date | None:
    if "date" not in fields:
        return None
    line, node = fields["date"]
    value = _scalar(node) if isinstance(node, ScalarNode) else "…"
    if not value:
        return None
    if _DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise ItemError(path, line, f"date 应为有效日期，格式 YYYY-MM-DD（如 2026-03-01）：{value}")


def _points(fields: _Fields, path: Path) -> int | None:
    if "points" not in fields:
        return None
    line, node = fields["points"]
    value = _scalar(node) if isinstance(node, ScalarNode) else "…"
    if not value:
        return None
    if node.tag == "tag:yaml.org,2002:int" and value.isdigit():  # plain digits: 2, not "2", 2.0, -1 or 0x10
        return int(value)
    quoted = "（数字不要加引号）" if value.isdigit() else ""
    raise ItemError(path, line, f"points 应为不小于 0 的整数：{value}{quoted}")


# --- rendering for chat ------------------------------------------------------------------------------------------

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s*(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^(\s*)[*+]\s+")
_QUOTE = re.compile(r"^\s{0,3}>\s?")
_STRONG = re.compile(r"(\*\*|__)(.+?)\1")
_LINK = re.compile(r"\[([^\]]+)\]\((\S+?)\)")
_CODE = re.compile(r"`([^`]+)`")


def inline_plain(text: str) -> str:
    """One line's emphasis, code marks and link syntax dropped (a link keeps its address in （）): how the chat's
    text and the members' reading page (bot/web/h5/reading.py) show them."""
    return _CODE.sub(r"\1", _LINK.sub(r"\1（\2）", _STRONG.sub(r"\2", text)))


def _plain(markdown: str) -> str:
    """Markdown as chat apps show it best: WeCom and DingTalk text messages print # and ** literally."""
    out: list[str] = []
    for line in markdown.splitlines():
        heading = _HEADING.match(line)
        if heading:
            line = heading.group(1)
        line = _QUOTE.sub("", line)
        line = _BULLET.sub(r"\1- ", line)
        line = inline_plain(line).rstrip()
        if line or (out and out[-1]):  # at most one blank line in a row
            out.append(line)
    return "\n".join(out).strip()


def _cut(text: str, max_chars: int) -> tuple[str, bool]:
    """`text` shortened to at most `max_chars`, ending at a line or sentence end when one is in the later half."""
    if len(text) <= max_chars:
        return text, False
    window = text[:max_chars]
    at_line = window.rfind("\n")
    at_sentence = max(window.rfind(mark) for mark in _SENTENCE_ENDS) + 1  # keep the 。
    end = max(at_line, at_sentence)
    if end < max_chars // 2:  # no boundary worth keeping: better a long cut than a stub
        end = max_chars
    return window[:end].rstrip(), True


def render_item(item: StudyItem, *, max_chars: int = 1200) -> str:
    """The item as one plain-text chat message: title, summary, the body (cut to `max_chars`), source, link."""
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    body, was_cut = _cut(_plain(item.body), max_chars)
    if was_cut:
        body += _CUT_TAIL_LINK if item.link else _CUT_TAIL
    lines = [f"📖 {item.title}"]
    if item.summary:
        lines.append(item.summary)
    lines += ["", body]
    if item.source:
        lines.append(f"来源：{item.source}")
    if item.link:
        lines.append(item.link)
    return "\n".join(lines)
