"""Meetings planned in YAML (`meetings.files`), reconciled with the database at start and on
`studybot reload`: a new entry is added and announced, a changed one (time, place, topic) updated
and announced with its reminders moved, a removed future one cancelled and announced.

    meetings:
      - key: 2026-12-支委会          # optional: what keeps an entry the same meeting when its date moves
        branch: 第一党支部
        type: 支委会
        start: 2026-12-01 14:30
        place: 三楼会议室
        topic: 学习二十大精神"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session

from bot.services.meetings import MeetingService, naive
from bot.storage.branches import get_or_create_branch
from bot.storage.meetings import file_meetings_to_come, meeting_from_source
from bot.storage.models import MeetingRow
from safeio.limits import Refused
from safeio.names import name_problem
from safeio.oserrors import os_reason
from safeio.yamlfile import BoundedLoader, read_yaml
from scheduler import meetings as rules

__all__ = ["sync_meeting_files", "check_meeting_files"]

log = logging.getLogger(__name__)

KEYS = {"key", "branch", "type", "start", "place", "topic"}
LINE = "__line__"  # where an entry starts in its file (1-based), for the messages


class _LineLoader(BoundedLoader):
    """Keeps each mapping's line under LINE."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
    data = loader.construct_mapping(node, deep=True)
    data[LINE] = node.start_mark.line + 1
    return data


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _entries(path: Path) -> tuple[list[Any], list[str]]:
    where = f"会议计划有误：{path}"
    try:
        data = read_yaml(path, loader=_LineLoader)
    except OSError as exc:
        return [], [f"{where}：无法读取（{os_reason(exc)}）"]
    except Refused as exc:
        return [], [f"{where}{f' 第 {exc.line} 行' if exc.line else ''}：{exc.reason}"]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" 第 {mark.line + 1} 行" if mark else ""
        return [], [f"{where}{line}：YAML 格式错误：{getattr(exc, 'problem', exc)}"]
    if isinstance(data, dict) and set(data) - {LINE} == {"meetings"}:
        data = data["meetings"]
    if data is None:
        return [], []
    if not isinstance(data, list):
        return [], [f"{where}：应为 meetings: 列表"]
    return data, []


@dataclass
class _Planned:
    """An entry of a meeting file that is not held yet: its meeting as the file says (`draft`), and its row."""

    source: str
    branch: str
    draft: rules.MeetingDraft
    row: MeetingRow | None


def _read(service: MeetingService, session: Session, path: Path, entries: list[Any], seen: set[str],
          problems: list[str]) -> Iterator[_Planned]:
    """The file's entries whose meetings are still to come, each checked; a bad one goes to `problems`
    (with the file, its line and its number) and is left out. `seen` collects every good entry's source."""
    now = service.now()
    for number, entry in enumerate(entries, start=1):
        line = entry.get(LINE, 0) if isinstance(entry, dict) else 0
        where = f"会议计划有误：{path}{f' 第 {line} 行' if line else ''}：第 {number} 项"
        keys = set(entry) - {LINE} if isinstance(entry, dict) else set()
        if not isinstance(entry, dict) or keys - KEYS:
            unknown = f"；不认识的键 {', '.join(sorted(map(str, keys - KEYS)))}" if keys - KEYS else ""
            problems.append(f"{where}：应包含 branch、type、start，可选 place、topic、key{unknown}")
            continue
        if not entry.get("branch") or not entry.get("type") or not entry.get("start"):
            problems.append(f"{where}：缺少 branch、type 或 start")
            continue
        source = f"yaml:{path.name}:{entry.get('key') or number}"
        seen.add(source)
        row = meeting_from_source(session=session, source=source)
        if row is not None and row.start_at <= now:
            continue  # held (or under way): the file no longer changes it
        text = f"{entry['type']} {entry['start']} {entry.get('place') or ''} {entry.get('topic') or ''}"
        try:
            draft = service.parse(text)
        except rules.MeetingError as exc:
            problems.append(f"{where}：{exc}")
            continue
        if bad := name_problem("支部名", str(entry["branch"])):
            problems.append(f"{where}：{bad}")
            continue
        yield _Planned(source, str(entry["branch"]).strip(), draft, row)


def check_meeting_files(service: MeetingService, session: Session, files: list[Path]) -> list[str]:
    """What is wrong in `files` (as sync_meeting_files would find it), without changing anything."""
    problems: list[str] = []
    for path in files:
        entries, bad = _entries(path)
        problems += bad
        for _ in _read(service, session, path, entries, set(), problems):
            pass
    return problems


def sync_meeting_files(service: MeetingService, session: Session, files: list[Path]) -> tuple[list[int], list[str]]:
    """Make the meetings from `files` match them; (ids whose reminders must be (re)armed, problems)."""
    problems: list[str] = []
    arm: list[int] = []
    now = service.now()
    for path in files:
        entries, bad = _entries(path)
        problems += bad
        if bad:
            continue  # an unreadable file must not cancel its meetings
        seen: set[str] = set()
        for planned in _read(service, session, path, entries, seen, problems):
            row, draft = planned.row, planned.draft
            if row is None:
                branch = get_or_create_branch(session=session, name=planned.branch)
                arm.append(service.add(session, branch_id=branch.id, draft=draft, by="会议计划",
                                       source=planned.source).id)
            elif (row.start_at, row.place, row.topic, row.type_key) != (naive(draft.start), draft.place, draft.topic,
                                                                         draft.type.key):
                service.change(session, row, draft)
                arm.append(row.id)
        for row in file_meetings_to_come(session=session, file_name=path.name, after=now):
            if row.source not in seen:
                service.cancel(session, branch_id=row.branch_id, number=str(row.id), commit=False)
    return arm, problems
