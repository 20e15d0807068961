"""The study library: every item of one or more directories, in a fixed order, with lookup by id, stem or title.

Order matters because study plans go through items (or one folder's items) in library order: the root's files by
name, then each subfolder by folder name and file name; directories given later come after earlier ones. A file
with a problem is skipped and reported, so one typo does not take the whole library down."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from content.items import ItemError, StudyItem, parse_item, shown_path
from safeio.oserrors import os_reason

__all__ = ["Library", "LoadResult", "load_library", "bundled_dir", "library_files"]

log = logging.getLogger(__name__)


def bundled_dir() -> Path:
    """The library shipped with the package (content/library)."""
    return Path(__file__).parent / "library"


class Library:
    """An ordered, read-only collection of study items with unique ids."""

    def __init__(self, items: Iterable[StudyItem] = ()) -> None:
        self._items = tuple(items)
        self._by_id: dict[str, StudyItem] = {}
        for item in self._items:
            if item.id in self._by_id:
                raise ValueError(f"duplicate study item id {item.id!r}")
            self._by_id[item.id] = item

    @property
    def items(self) -> tuple[StudyItem, ...]:
        return self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[StudyItem]:
        return iter(self._items)

    def __contains__(self, ref: object) -> bool:
        return isinstance(ref, str) and ref in self._by_id

    def __repr__(self) -> str:
        return f"Library({len(self._items)} items)"

    def ids(self) -> list[str]:
        return [item.id for item in self._items]

    def folders(self) -> list[str]:
        """The subfolder names that hold items, in library order ("" for the root is not included)."""
        return list(dict.fromkeys(item.folder for item in self._items if item.folder))

    def folder(self, name: str) -> list[StudyItem]:
        """The items of one folder ("" for the root), in library order; [] for an unknown folder."""
        name = name.strip().strip("/")
        return [item for item in self._items if item.folder == name]

    def get(self, ref: str) -> StudyItem | None:
        """The item `ref` names: its id, its file stem (when only one item has it), its exact title, or a fragment
        of exactly one title. None when nothing or more than one item matches: a guess would teach the wrong item."""
        ref = ref.strip()
        if not ref:
            return None
        key = ref.removesuffix(".md").lower()  # ids are ASCII file names: 01-LILUN or 01-lilun.md are meant alike
        for item in self._items:
            if item.id.lower() == key:
                return item
        for candidates in (
            [item for item in self._items if item.stem.lower() == key],
            [item for item in self._items if item.title == ref],
            [item for item in self._items if ref in item.title],
        ):
            if len(candidates) == 1:
                return candidates[0]
            if candidates:  # ambiguous at this level: a looser match would be no better
                return None
        return None


@dataclass
class LoadResult:
    library: Library
    errors: list[ItemError] = field(default_factory=list)


def library_files(directory: Path) -> list[Path]:
    """The item files below `directory` in library order. Hidden and `_`-prefixed files and folders are left out
    (drafts, editor files), and README.md, which describes a folder rather than being an item."""
    found = []
    for path in directory.rglob("*"):
        relative = path.relative_to(directory)
        if any(part.startswith((".", "_")) for part in relative.parts):
            continue
        if path.suffix.lower() != ".md" or path.name.lower() == "readme.md" or not path.is_file():
            continue
        found.append(relative)
    found.sort(key=lambda rel: (len(rel.parts) > 1, rel.parent.as_posix(), rel.name))
    return [directory / rel for rel in found]


def load_library(dirs: Sequence[Path]) -> LoadResult:
    """Every item of `dirs`; each bad file, missing directory or repeated id is reported in `.errors` and skipped."""
    items: list[StudyItem] = []
    errors: list[ItemError] = []
    first_seen: dict[str, Path] = {}
    for directory in map(Path, dirs):
        if not directory.exists():
            errors.append(ItemError(directory, None, "学习资料目录不存在"))
            continue
        if not directory.is_dir():
            errors.append(ItemError(directory, None, "不是目录"))
            continue
        for path in library_files(directory):
            try:
                item = parse_item(_read(path), path, directory)
            except ItemError as error:
                errors.append(error)
                continue
            if item.id in first_seen:
                errors.append(ItemError(path, None,
                                        f"id「{item.id}」与 {shown_path(first_seen[item.id])} 重复，已跳过"))
                continue
            first_seen[item.id] = path
            items.append(item)
    log.debug("study library: %d items, %d problems", len(items), len(errors))
    return LoadResult(Library(items), errors)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ItemError(path, None, "不是 UTF-8 编码的文本文件") from exc
    except OSError as exc:
        raise ItemError(path, None, f"无法读取（{os_reason(exc)}）") from exc
