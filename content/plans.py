"""Study plans: which study items (or a contest) go to which branches or groups, and when.

A plan file is YAML with a list `plans:` (or a bare list); each entry:

    - name: 理论学习周推送            # unique in its file; names the jobs
      when: 每周一 09:00              # the words secretaries use, or 5-field cron ("0 9 * * 1")
      to: [第一党支部, 第二党支部学习群] # branch names or group names
      items: [01-lilun-wuzhuang, 02-sanhui-yike]   # pushed one per run, in order, then from the start
      # or:   folder: 党史学习         # every item of a library folder, in order
      # or:   contest: {bank: 党建基础知识, questions: 5, time_limit: 20}
      #       (with `to: all`: one 全委竞赛 in every group the bot is in, the same questions at the same moments)
      shift: next_workday             # on a non-working day: next_workday (default), skip, none

Pure: parses and checks the file against the library and the calendar; each problem names the
file, the line and what is wrong, in Chinese."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from safeio.limits import Refused
from safeio.oserrors import os_reason
from safeio.yamlfile import BoundedLoader, read_yaml

__all__ = ["PlanEntry", "ContestSpec", "PlanProblem", "load_plan_file", "load_plans", "ENTRY_KEYS", "ALL_GROUPS"]

ENTRY_KEYS = {"name", "when", "to", "items", "folder", "contest", "shift"}
CONTEST_KEYS = {"bank", "questions", "time_limit"}
ALL_GROUPS = frozenset({"all", "全部", "所有群"})  # `to: all` on a contest: the 全委竞赛, in every group


@dataclass(frozen=True)
class ContestSpec:
    bank: str | None
    questions: int | None
    time_limit: int | None


@dataclass(frozen=True)
class PlanEntry:
    plan: str  # the file's stem: with `name`, the entry's stable id
    name: str
    when: Any  # scheduler.phrases.When
    targets: tuple[str, ...]
    items: tuple[str, ...] = ()  # item ids, in push order
    contest: ContestSpec | None = None
    shift: str = "next_workday"
    line: int = 0

    @property
    def id(self) -> str:
        return f"{self.plan}#{self.name}"

    @property
    def to_all(self) -> bool:
        """A contest for every group at once (`to: all`): one 全委竞赛 rather than a contest per target."""
        return self.contest is not None and len(self.targets) == 1 and self.targets[0] in ALL_GROUPS


@dataclass(frozen=True)
class PlanProblem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f" 第 {self.line} 行" if self.line else ""
        return f"{self.file}{where}：{self.message}"


class _LineLoader(BoundedLoader):
    """Keeps each mapping's line (1-based) under the key "__line__", for messages."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
    data = loader.construct_mapping(node, deep=True)
    data["__line__"] = node.start_mark.line + 1
    return data


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _texts(value: object) -> list[str] | None:
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, list) and all(isinstance(v, (str, int)) for v in value):
        return [str(v).strip() for v in value if str(v).strip()]
    return None


def _contest(raw: object) -> ContestSpec:
    if raw is None or raw is True:
        return ContestSpec(None, None, None)
    if not isinstance(raw, dict):
        raise ValueError("contest 应为 {bank: 题库名, questions: 题数, time_limit: 每题秒数}")
    unknown = set(raw) - CONTEST_KEYS - {"__line__"}
    if unknown:
        raise ValueError(f"contest 中有不认识的键 {', '.join(sorted(unknown))}（可用：bank, questions, time_limit）")
    questions, limit = raw.get("questions"), raw.get("time_limit")
    if questions is not None and (not isinstance(questions, int) or isinstance(questions, bool) or questions < 1):
        raise ValueError("contest.questions 应为正整数")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or not 5 <= limit <= 600):
        raise ValueError("contest.time_limit 应为 5 到 600 之间的整数（秒）")
    bank = raw.get("bank")
    return ContestSpec(str(bank).strip() if bank else None, questions, limit)


def load_plan_file(path: Path, *, parse_when: Callable[..., Any], item_ids: Callable[[str], str | None],
                   folder_ids: Callable[[str], list[str]], default_shift: str = "next_workday"
                   ) -> tuple[list[PlanEntry], list[PlanProblem]]:
    """The entries of one plan file, and its problems (a bad entry is left out, the others load).
    `parse_when(text, shift=...)` is scheduler.phrases.parse_when with the calendar bound;
    `item_ids(ref)` resolves an item reference to its id (None when unknown); `folder_ids(name)`
    lists a folder's items."""
    label = str(path)
    try:
        raw = read_yaml(path, loader=_LineLoader)
    except OSError as exc:
        return [], [PlanProblem(label, 0, f"无法读取（{os_reason(exc)}）")]
    except Refused as exc:
        return [], [PlanProblem(label, exc.line or 0, exc.reason)]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [], [PlanProblem(label, mark.line + 1 if mark else 0,
                                f"YAML 格式错误：{getattr(exc, 'problem', exc)}，请检查缩进、冒号和引号")]
    if isinstance(raw, dict) and set(raw) - {"__line__"} == {"plans"}:
        raw = raw["plans"]
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [PlanProblem(label, 1, "学习计划文件应为 plans: 列表")]
    entries: list[PlanEntry] = []
    problems: list[PlanProblem] = []
    seen: set[str] = set()
    for number, entry in enumerate(raw, start=1):
        line = entry.get("__line__", 0) if isinstance(entry, dict) else 0
        try:
            parsed = _entry(entry, number, path.stem, parse_when, item_ids, folder_ids, default_shift)
        except ValueError as exc:
            problems.append(PlanProblem(label, line, f"第 {number} 项计划：{exc}"))
            continue
        if parsed.name in seen:
            problems.append(PlanProblem(label, line, f"第 {number} 项计划：名称「{parsed.name}」重复"))
            continue
        seen.add(parsed.name)
        entries.append(parsed)
    return entries, problems


def _entry(entry: object, number: int, plan: str, parse_when: Callable[..., Any], item_ids: Callable[[str], str | None],
           folder_ids: Callable[[str], list[str]], default_shift: str) -> PlanEntry:
    if not isinstance(entry, dict):
        raise ValueError("应为包含 when、to 和 items/folder/contest 的映射")
    line = entry.get("__line__", 0)
    unknown = set(entry) - ENTRY_KEYS - {"__line__"}
    if unknown:
        raise ValueError(f"不认识的键 {', '.join(sorted(unknown))}（可用：{', '.join(sorted(ENTRY_KEYS))}）")
    name = str(entry.get("name") or f"计划{number}").strip()
    when_text = entry.get("when")
    if when_text is None or not str(when_text).strip():
        raise ValueError("缺少 when（例如：每周一 09:00）")
    shift = str(entry.get("shift") or default_shift).strip()
    try:
        when = parse_when(str(when_text), shift=shift)
    except Exception as exc:  # scheduler.phrases.WhenError: its message is for the secretary
        raise ValueError(str(exc)) from None
    targets = _texts(entry.get("to"))
    if not targets:
        raise ValueError("缺少 to：推送给哪些支部或群（例如：to: [第一党支部]）")
    kinds = [k for k in ("items", "folder", "contest") if entry.get(k) is not None]
    if len(kinds) != 1:
        raise ValueError("items、folder、contest 三者必须且只能写一个")
    if kinds[0] != "contest" and ALL_GROUPS & set(targets):
        raise ValueError("to: all 只用于全委竞赛（contest）；学习推送请写支部名或群名")
    if kinds[0] == "contest" and ALL_GROUPS & set(targets) and len(targets) > 1:
        raise ValueError("to: all 表示全部群，不能再与其他支部或群一起写")
    if kinds[0] == "contest":
        return PlanEntry(plan, name, when, tuple(targets), contest=_contest(entry["contest"]), shift=shift, line=line)
    if kinds[0] == "folder":
        folder = str(entry["folder"]).strip()
        items = folder_ids(folder)
        if not items:
            raise ValueError(f"学习资料库中没有文件夹「{folder}」或其中没有资料")
        return PlanEntry(plan, name, when, tuple(targets), items=tuple(items), shift=shift, line=line)
    refs = _texts(entry["items"])
    if not refs:
        raise ValueError("items 应为学习资料编号或标题的列表")
    resolved = []
    for ref in refs:
        item = item_ids(ref)
        if item is None:
            raise ValueError(f"学习资料库中没有「{ref}」")
        resolved.append(item)
    return PlanEntry(plan, name, when, tuple(targets), items=tuple(resolved), shift=shift, line=line)


def load_plans(paths: list[Path], *, parse_when: Callable[..., Any], item_ids: Callable[[str], str | None],
               folder_ids: Callable[[str], list[str]], default_shift: str = "next_workday"
               ) -> tuple[list[PlanEntry], list[PlanProblem]]:
    """Every plan file's entries and problems (see load_plan_file); a missing file is a problem."""
    entries: list[PlanEntry] = []
    problems: list[PlanProblem] = []
    for path in paths:
        if not path.exists():
            problems.append(PlanProblem(str(path), 0, "文件不存在"))
            continue
        found, bad = load_plan_file(path, parse_when=parse_when, item_ids=item_ids, folder_ids=folder_ids,
                                    default_shift=default_shift)
        entries += found
        problems += bad
    return entries, problems
