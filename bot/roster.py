"""Roster (成员名册) import: read a CSV or .xlsx file, validate every row, then upsert.

Validation runs over the whole file (and against the database) before anything is written,
so a roster with problems imports nothing and the person gets every problem at once,
each with the row number they see in Excel (the header is row 1 when it is the first row).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, func, select

from bot.storage.models import ROLES, Branch, Member
from bot.storage.people import find_member, get_or_create_branch, upsert_member

__all__ = ["RosterRow", "RosterError", "RosterFileMissing", "ImportResult", "read_roster", "check_roster",
           "import_roster", "IDENTITY_COLUMNS", "ROLE_BY_LABEL"]

# identity channel -> column header
IDENTITY_COLUMNS = {"wecom": "企业微信账号", "dingtalk": "钉钉账号"}
REQUIRED_COLUMNS = ("姓名", "支部")

# what people write in the 角色 column -> role value
ROLE_BY_LABEL = {**{label: role for role, label in ROLES.items()}, **{role: role for role in ROLES}}
_ROLE_CHOICES = "、".join(ROLES.values())

# header spellings seen in real rosters -> canonical column
_HEADER_ALIASES = {
    "姓名": "姓名", "名字": "姓名",
    "支部": "支部", "所在支部": "支部", "党支部": "支部", "支部名称": "支部",
    "角色": "角色", "身份": "角色",
    "企业微信账号": "企业微信账号", "企业微信": "企业微信账号", "企业微信id": "企业微信账号",
    "企业微信userid": "企业微信账号", "企微账号": "企业微信账号",
    "钉钉账号": "钉钉账号", "钉钉": "钉钉账号", "钉钉id": "钉钉账号", "钉钉userid": "钉钉账号",
}
_MAX_LENGTH = {"姓名": 100, "支部": 100, "企业微信账号": 200, "钉钉账号": 200}
_HEADER_SEARCH_ROWS = 10  # a title row such as「第一党支部党员名册」may sit above the header
_SPACES = re.compile(r"[\s\u3000\ufeff\u200b]+")


class RosterFileMissing(Exception):
    """The file does not exist or is not a file (a usage error, exit 2)."""


class RosterError(Exception):
    """Problems with the roster's content; nothing was imported."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class RosterRow:
    row: int  # row number as shown in Excel / a text editor
    name: str
    branch: str
    role: str | None  # None: the file has no 角色 column, so an existing member keeps theirs
    identities: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    branches: int
    new_branches: int


def _clean(value: Any) -> str:
    """A cell as text: surrounding (full-width) spaces dropped, 13800000000.0 read back as 13800000000."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip(" \t\r\n\u3000\ufeff\u200b")


def _header_key(value: Any) -> str:
    return _SPACES.sub("", _clean(value)).lower()


# ---------------------------------------------------------------- reading


def _decode(data: bytes, label: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's「Unicode 文本」is UTF-16 with a BOM
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "gb18030"):  # GB18030 is a superset of GBK (rare name characters too)
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterError([f"{label}：无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV"])


def _csv_rows(path: Path, label: str) -> list[list[Any]]:
    text = _decode(path.read_bytes(), label)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if "\t" in first_line and "," not in first_line and "，" not in first_line else ","
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise RosterError([f"{label}：CSV 格式有误（{exc}）"]) from None


def _xlsx_sheets(path: Path, label: str) -> list[tuple[str, list[list[Any]]]]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            return [(sheet.title, [list(row) for row in sheet.iter_rows(values_only=True)])
                    for sheet in workbook.worksheets]
        finally:
            workbook.close()
    except PermissionError:
        raise
    except Exception as exc:  # a damaged or renamed file can fail anywhere inside openpyxl
        raise RosterError([f"{label}：不是有效的 .xlsx 文件（{type(exc).__name__}），"
                           "请用 Excel 重新保存后再试"]) from None


def _find_header(rows: list[list[Any]]) -> int | None:
    """Index of the header row: the first row (near the top) with a 姓名 column."""
    seen = 0
    for index, row in enumerate(rows):
        cells = [_header_key(cell) for cell in row]
        if not any(cells):
            continue
        if any(_HEADER_ALIASES.get(cell) == "姓名" for cell in cells):
            return index
        seen += 1
        if seen >= _HEADER_SEARCH_ROWS:
            break
    return None


def _load(path: Path, label: str) -> list[list[Any]]:
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise RosterError([f"{label}：不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV（UTF-8）"])
    if suffix in (".xlsx", ".xlsm"):
        sheets = _xlsx_sheets(path, label)
        for _title, rows in sheets:
            if _find_header(rows) is not None:
                return rows
        return sheets[0][1] if sheets else []
    return _csv_rows(path, label)


def read_roster(path: Path) -> list[RosterRow]:
    """Parse and validate the whole file; RosterError lists every problem found."""
    label = path.name
    if not path.exists():
        raise RosterFileMissing(f"找不到名册文件 {path}")
    if not path.is_file():
        raise RosterFileMissing(f"{path} 不是文件")
    try:
        rows = _load(path, label)
    except PermissionError:
        raise RosterError([f"{label}：没有读取权限"]) from None
    except OSError as exc:
        raise RosterError([f"{label}：无法读取（{exc.strerror or exc}）"]) from None

    if not any(_clean(cell) for row in rows for cell in row):
        raise RosterError([f"{label}：文件是空的，第 1 行应是表头：姓名、支部、角色（可选：企业微信账号、钉钉账号）"])
    header_index = _find_header(rows)
    if header_index is None:
        raise RosterError([f"{label}：找不到表头，表头一行应包含：姓名、支部、角色（可选：企业微信账号、钉钉账号）"])

    header_row = header_index + 1
    columns: dict[str, int] = {}
    problems: list[str] = []
    for position, cell in enumerate(rows[header_index]):
        key = _header_key(cell)
        canonical = _HEADER_ALIASES.get(key)
        if canonical is None:
            continue  # extra columns (序号, 备注, 电话 …) are ignored
        if canonical in columns:
            problems.append(f"{label} 第 {header_row} 行：表头中「{canonical}」列出现了两次")
        else:
            columns[canonical] = position
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(f"{label} 第 {header_row} 行：表头缺少「{'」「'.join(missing)}」列")
    if problems:
        raise RosterError(problems)

    def cell(values: list[Any], column: str) -> str:
        position = columns.get(column)
        return _clean(values[position]) if position is not None and position < len(values) else ""

    result: list[RosterRow] = []
    first_account: dict[tuple[str, str], int] = {}
    first_person: dict[tuple[str, str], int] = {}
    for index in range(header_index + 1, len(rows)):
        values, number = rows[index], index + 1
        if not any(_clean(value) for value in values):
            continue  # blank lines between blocks are fine
        where = f"{label} 第 {number} 行"
        row_problems: list[str] = []
        name, branch, role_text = cell(values, "姓名"), cell(values, "支部"), cell(values, "角色")
        if not name:
            row_problems.append(f"{where}：缺少姓名")
        if not branch:
            row_problems.append(f"{where}：缺少支部" + (f"（{name}）" if name else ""))
        role = ROLE_BY_LABEL.get(role_text.lower()) if role_text else ("member" if "角色" in columns else None)
        if role_text and role is None:
            row_problems.append(f"{where}：不认识的角色「{role_text}」，应为 {_ROLE_CHOICES} 之一（留空即为成员）")
        for column in ("姓名", "支部"):
            value = cell(values, column)
            if len(value) > _MAX_LENGTH[column]:
                row_problems.append(f"{where}：{column}过长（最多 {_MAX_LENGTH[column]} 个字）")
        identities: dict[str, str] = {}
        for channel, column in IDENTITY_COLUMNS.items():
            account = cell(values, column)
            if not account:
                continue
            if len(account) > _MAX_LENGTH[column]:
                row_problems.append(f"{where}：{column}过长（最多 {_MAX_LENGTH[column]} 个字符）")
                continue
            earlier = first_account.setdefault((channel, account), number)
            if earlier != number:
                row_problems.append(f"{where}：{column}「{account}」与第 {earlier} 行重复")
            identities[channel] = account
        if name and branch:
            earlier = first_person.setdefault((branch, name), number)
            if earlier != number:
                row_problems.append(f"{where}：「{branch}」的「{name}」与第 {earlier} 行重复"
                                    "（同一支部内的成员按姓名识别，请删去重复的一行）")
        if row_problems:
            problems.extend(row_problems)
        else:
            result.append(RosterRow(number, name, branch, role, identities))
    if problems:
        raise RosterError(problems)
    if not result:
        raise RosterError([f"{label}：只有表头，没有成员数据"])
    return result


# ---------------------------------------------------------------- importing


def _resolve(session: Session, rows: list[RosterRow], label: str) -> tuple[list[str], dict[int, Member]]:
    """Which existing member each row updates (the way upsert_member will find them), and the
    problems only the database reveals: a row whose accounts belong to two different people,
    or two rows that would update the same existing member."""
    problems: list[str] = []
    targets: dict[int, Member] = {}  # row number -> existing member
    branch_ids = {b.name: b.id for b in session.exec(select(Branch)).all()}
    claimed: dict[int, int] = {}  # existing member id -> first row that updates them
    for row in rows:
        where = f"{label} 第 {row.row} 行"
        owners: dict[str, Member] = {}
        for channel, account in row.identities.items():
            member = find_member(session=session, channel=channel, external_id=account)
            if member is not None:
                owners[channel] = member
        if len({m.id for m in owners.values()}) > 1:
            described = "，".join(f"{IDENTITY_COLUMNS[c]}「{row.identities[c]}」已属于「{m.name}」"
                                 for c, m in owners.items())
            problems.append(f"{where}：{described}，无法确定是哪一位成员")
            continue
        target = next(iter(owners.values()), None)
        if target is None and row.branch in branch_ids:
            target = session.exec(select(Member).where(Member.name == row.name,
                                                       Member.branch_id == branch_ids[row.branch])).first()
        if target is None:
            continue
        targets[row.row] = target
        earlier = claimed.setdefault(target.id, row.row)
        if earlier != row.row:
            problems.append(f"{where}：与第 {earlier} 行对应同一位已有成员「{target.name}」"
                            "（按账号或同支部同名识别），请合并为一行")
    return problems, targets


def check_roster(*, session: Session, rows: list[RosterRow], label: str) -> list[str]:
    return _resolve(session, rows, label)[0]


def import_roster(*, session: Session, rows: list[RosterRow], now: datetime, label: str) -> ImportResult:
    """Check against the database, then upsert every row in the caller's transaction
    (the caller commits; on RosterError nothing has been written)."""
    problems, targets = _resolve(session, rows, label)
    if problems:
        raise RosterError(problems)
    roles = {number: member.role for number, member in targets.items()}
    branches_before = session.exec(select(func.count()).select_from(Branch)).one()
    added = updated = 0
    for row in rows:
        branch = get_or_create_branch(session=session, name=row.branch)
        role = row.role or roles.get(row.row, "member")
        _member, created = upsert_member(session=session, name=row.name, branch_id=branch.id, role=role,
                                         identities=row.identities, now=now)
        added += created
        updated += not created
    branches = session.exec(select(func.count()).select_from(Branch)).one()
    return ImportResult(added, updated, branches, branches - branches_before)
