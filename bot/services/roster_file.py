"""Reading a roster (成员名册) file: CSV (UTF-8, GBK/GB18030 or UTF-16; comma or tab) or .xlsx, its header
row (found below title rows, in the spellings seen in real rosters) and every row's problems.

read_roster checks the whole file before it returns anything, so the person gets every problem at once;
bot.services.roster then checks the rows against the database and imports them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.services.roster_columns import PARTY_ALIASES, PARTY_COLUMNS, party_cells
from bot.storage.models import ROLES
from safeio.limits import DEFAULT_LIMITS, Limits, Refused
from safeio.names import MAX_NAME_CHARS, name_problem
from safeio.oserrors import os_reason
from safeio.tables import Rows, csv_rows, read_sheets
from safeio.text import character_problem, plain_name, plain_text, read_text

__all__ = ["RosterRow", "RosterRead", "RosterError", "RosterFileMissing", "read_roster", "read_roster_file",
           "IDENTITY_COLUMNS", "ROLE_BY_LABEL",
           "COLUMNS_HINT"]

# identity channel -> column header
IDENTITY_COLUMNS = {"wecom": "企业微信账号", "dingtalk": "钉钉账号"}
REQUIRED_COLUMNS = ("姓名", "支部")
OPTIONAL_COLUMNS = ("角色", *PARTY_COLUMNS, *IDENTITY_COLUMNS.values())
# the columns as error messages and --help describe them
COLUMNS_HINT = f"{'、'.join(REQUIRED_COLUMNS)}（可选：{'、'.join(OPTIONAL_COLUMNS)}）"

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
    **PARTY_ALIASES,
}
# columns every roster has that nobody expects the bot to read
_NOT_WORTH_A_NOTE = {"序号", "编号", "no", "no.", "备注"}
_MAX_LENGTH = {"姓名": 100, "支部": MAX_NAME_CHARS, "企业微信账号": 200, "钉钉账号": 200}
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
    role: str | None  # None: the file has no 角色 or 支部职务 column, so an existing member keeps theirs
    identities: dict[str, str] = field(default_factory=dict)
    # the Party columns (roster_columns.py); None where the file has no such column (an existing member keeps it)
    category: str | None = None
    position: str | None = None
    party_group: str | None = None
    role_from_position: bool = False  # no 角色 column, the role is 支部职务's (a 管理员 stays one: see roster.py)


def _clean(value: Any) -> str:
    """A cell as text: surrounding (full-width) spaces dropped, 13800000000.0 read back as 13800000000."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip(" \t\r\n\u3000\ufeff\u200b")


def _clip(text: str, limit: int = 30) -> str:
    """Text quoted back in a message: a cell of a megabyte is not printed whole."""
    return text if len(text) <= limit else text[:limit] + "…"


def _header_key(value: Any) -> str:
    return _SPACES.sub("", _clean(value)).lower()


# ---------------------------------------------------------------- reading


def _csv_rows(path: Path, limits: Limits) -> Rows:
    text = read_text(path, limits, gbk=True)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if "\t" in first_line and "," not in first_line and "，" not in first_line else ","
    return csv_rows(text, delimiter)


def _find_header(rows: Rows) -> int | None:
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


def _load(path: Path, label: str, limits: Limits) -> Rows:
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise RosterError([f"{label}：不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV（UTF-8）"])
    if suffix in (".xlsx", ".xlsm"):
        sheets = read_sheets(path, limits)
        for _title, rows in sheets:
            if _find_header(rows) is not None:
                return rows
        return sheets[0][1] if sheets else []
    return _csv_rows(path, limits)


@dataclass(frozen=True)
class RosterRead:
    rows: list[RosterRow]
    # header cells this reader does not know (电话, 出生日期 …): imported as nothing, so the person is told
    ignored_columns: tuple[str, ...] = ()
    has_roles: bool = True

    def ignored_note(self) -> str | None:
        if not self.ignored_columns:
            return None
        note = f"提示：名册中以下列未导入：{'、'.join(self.ignored_columns)}（读取的列：{COLUMNS_HINT}）"
        if not self.has_roles:
            note += ("。名册没有「角色」或「支部职务」列：新成员按成员导入，已有成员的角色不变；"
                     "书记、委员请在「支部职务」列注明，管理员请在「角色」列注明")
        return note


def read_roster(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[RosterRow]:
    return read_roster_file(path, limits).rows


def read_roster_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> RosterRead:
    """Parse and validate the whole file; RosterError lists every problem found. A file over `limits` (or a
    workbook that unpacks past them) is refused before it is expanded."""
    label = path.name
    if not path.exists():
        raise RosterFileMissing(f"找不到名册文件 {path}")
    if not path.is_file():
        raise RosterFileMissing(f"{path} 不是文件")
    try:
        rows = _load(path, label, limits)
    except PermissionError:
        raise RosterError([f"{label}：没有读取权限"]) from None
    except OSError as exc:
        raise RosterError([f"{label}：无法读取（{os_reason(exc)}）"]) from None
    except Refused as exc:
        raise RosterError([f"{label} 第 {exc.line} 行：{exc.reason}" if exc.line else f"{label}：{exc.reason}"]
                          ) from None

    if not any(_clean(cell) for row in rows for cell in row):
        raise RosterError([f"{label}：文件是空的，第 1 行应是表头：{COLUMNS_HINT}"])
    header_index = _find_header(rows)
    if header_index is None:
        raise RosterError([f"{label}：找不到表头，表头一行应包含：{COLUMNS_HINT}"])

    header_row = header_index + 1
    columns: dict[str, int] = {}
    ignored: list[str] = []
    problems: list[str] = []
    for position, cell in enumerate(rows[header_index]):
        key = _header_key(cell)
        canonical = _HEADER_ALIASES.get(key)
        if canonical is None:
            if key and key not in _NOT_WORTH_A_NOTE:
                ignored.append(_clip(_clean(cell), 12))
            continue
        if canonical in columns:
            problems.append(f"{label} 第 {header_row} 行：表头中「{canonical}」列出现了两次")
        else:
            columns[canonical] = position
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        problems.append(f"{label} 第 {header_row} 行：表头缺少「{'」「'.join(missing)}」列"
                        f"（表头应包含：{COLUMNS_HINT}）")
    if problems:
        raise RosterError(problems)

    def cell(values: Sequence[Any], column: str) -> str:
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
        # 「王\u200b五」 or 「王　五」 is 王五: one person however the cell was typed
        name, branch = plain_name(name), " ".join(plain_text(branch).split())
        if not name:
            row_problems.append(f"{where}：缺少姓名")
        if not branch:
            row_problems.append(f"{where}：缺少支部" + (f"（{_clip(name)}）" if name else ""))
        party, party_problems = party_cells(where, {c: cell(values, c) for c in PARTY_COLUMNS if c in columns})
        row_problems += party_problems
        # a 角色 written wins; else the role the 支部职务 gives
        role = ROLE_BY_LABEL.get(role_text.lower()) if role_text else (
            party.position_role or ("member" if "角色" in columns else None))
        if role_text and role is None:
            row_problems.append(f"{where}：不认识的角色「{_clip(role_text)}」，"
                                f"应为 {_ROLE_CHOICES} 之一（留空即为成员）")
        for column in ("姓名", "支部"):
            value = cell(values, column)
            if len(value) > _MAX_LENGTH[column]:
                row_problems.append(f"{where}：{column}过长（最多 {_MAX_LENGTH[column]} 个字）")
            elif unsafe := character_problem(column, value):
                row_problems.append(f"{where}：{unsafe}")
            elif column == "支部" and branch and (bad := name_problem("支部名", branch)):
                row_problems.append(f"{where}：{bad}")
        identities: dict[str, str] = {}
        for channel, column in IDENTITY_COLUMNS.items():
            account = cell(values, column)
            if not account:
                continue
            if len(account) > _MAX_LENGTH[column]:
                row_problems.append(f"{where}：{column}过长（最多 {_MAX_LENGTH[column]} 个字符）")
                continue
            if unsafe := character_problem(column, account):
                row_problems.append(f"{where}：{unsafe}")
                continue
            earlier = first_account.setdefault((channel, account), number)
            if earlier != number:
                row_problems.append(f"{where}：{column}「{account}」与第 {earlier} 行重复")
            identities[channel] = account
        if name and branch:
            earlier = first_person.setdefault((branch, name), number)
            if earlier != number:
                row_problems.append(f"{where}：「{_clip(branch)}」的「{_clip(name)}」与第 {earlier} 行重复"
                                    "（同一支部内的成员按姓名识别，请删去重复的一行）")
        if row_problems:
            problems.extend(row_problems)
        else:
            result.append(RosterRow(number, name, branch, role, identities, party.category, party.position,
                                    party.party_group, "角色" not in columns and party.position_role is not None))
    if problems:
        raise RosterError(problems)
    if not result:
        raise RosterError([f"{label}：只有表头，没有成员数据"])
    return RosterRead(result, tuple(ignored), "角色" in columns or "支部职务" in columns)
