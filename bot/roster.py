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

from bot.storage.models import ROLES, Branch, Identity, Member
from bot.storage.people import get_or_create_branch, upsert_member

__all__ = ["RosterRow", "RosterError", "RosterFileMissing", "ImportResult", "read_roster", "check_roster",
           "import_roster", "IDENTITY_COLUMNS", "ROLE_BY_LABEL", "COLUMNS_HINT"]

# identity channel -> column header
IDENTITY_COLUMNS = {"wecom": "企业微信账号", "dingtalk": "钉钉账号"}
REQUIRED_COLUMNS = ("姓名", "支部")
OPTIONAL_COLUMNS = ("角色", *IDENTITY_COLUMNS.values())
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
    updated: int  # existing members whose name, branch, role or accounts changed
    branches: int
    new_branches: int
    unchanged: int = 0  # existing members the file names exactly as they are
    moves: tuple[tuple[str, str, str], ...] = ()  # (name, from branch, to branch)


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
        raise RosterError([f"{label}：文件是空的，第 1 行应是表头：{COLUMNS_HINT}"])
    header_index = _find_header(rows)
    if header_index is None:
        raise RosterError([f"{label}：找不到表头，表头一行应包含：{COLUMNS_HINT}"])

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
        problems.append(f"{label} 第 {header_row} 行：表头缺少「{'」「'.join(missing)}」列（表头应包含：{COLUMNS_HINT}）")
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


_NO_BRANCH = "未分支部"


@dataclass
class _Existing:
    """The members table as the import sees it: who has which account, who has which name."""
    members: dict[int, Member]
    branch_names: dict[int, str]
    owner: dict[tuple[str, str], int]  # (channel, account) -> member id
    accounts: dict[int, dict[str, set[str]]]  # member id -> channel -> accounts
    by_name: dict[str, list[Member]]

    @classmethod
    def load(cls, session: Session) -> _Existing:
        members = {m.id: m for m in session.exec(select(Member).order_by(Member.id)).all()}
        owner: dict[tuple[str, str], int] = {}
        accounts: dict[int, dict[str, set[str]]] = {}
        for identity in session.exec(select(Identity).where(Identity.channel.in_(list(IDENTITY_COLUMNS)))).all():
            owner[(identity.channel, identity.external_id)] = identity.member_id
            accounts.setdefault(identity.member_id, {}).setdefault(identity.channel, set()).add(identity.external_id)
        by_name: dict[str, list[Member]] = {}
        for member in members.values():
            by_name.setdefault(member.name, []).append(member)
        return cls(members, {b.id: b.name for b in session.exec(select(Branch)).all()}, owner, accounts, by_name)

    def describe(self, member: Member) -> str:
        """张三（第一支部）"""
        return f"{member.name}（{self.branch_of(member)}）"

    def branch_of(self, member: Member) -> str:
        return self.branch_names.get(member.branch_id, _NO_BRANCH)

    def in_branch(self, member: Member, branch: str) -> bool:
        return member.branch_id is not None and self.branch_names.get(member.branch_id) == branch

    def conflicting_account(self, member: Member, row: RosterRow) -> bool:
        """The member already has another account on a channel the row gives: not the same person."""
        held = self.accounts.get(member.id, {})
        return any(held.get(channel) and account not in held[channel] for channel, account in row.identities.items())


_ADD_ACCOUNTS = "请在名册中加上「企业微信账号」或「钉钉账号」列并填写此人的账号，以便区分"


def _resolve(session: Session, rows: list[RosterRow], label: str) -> tuple[list[str], dict[int, Member]]:
    """Which existing member each row updates, and the problems only the database reveals.

    A row is matched, in this order of evidence:
    1. by its accounts (an account whose member has another name is a problem, as are
       accounts of two different members);
    2. by name in the row's branch;
    3. by name anywhere, when exactly one member of that name is left: the row moves them
       (members already matched by 1 or 2, or holding another account on a channel the row
       gives, are someone else). Several such members is a problem: the row needs an account.
    No match: a new member. Moving a member into a branch that keeps another member of the
    same name is a problem too (two people of one name in one branch cannot be told apart)."""
    problems: dict[int, str] = {}
    targets: dict[int, Member] = {}  # row number -> existing member
    existing = _Existing.load(session)
    where = {row.row: f"{label} 第 {row.row} 行" for row in rows}

    # 1. accounts
    for row in rows:
        owners = {c: existing.members[existing.owner[(c, a)]] for c, a in row.identities.items()
                  if (c, a) in existing.owner}
        others = {c: m for c, m in owners.items() if m.name != row.name}
        if others:
            described = "，".join(f"{IDENTITY_COLUMNS[c]}「{row.identities[c]}」已属于 {existing.describe(m)}"
                                 for c, m in others.items())
            problems[row.row] = f"{where[row.row]}：{described}，与本行姓名「{row.name}」不符，请核对账号"
        elif len({m.id for m in owners.values()}) > 1:
            described = "，".join(f"{IDENTITY_COLUMNS[c]}「{row.identities[c]}」已属于 {existing.describe(m)}"
                                 for c, m in owners.items())
            problems[row.row] = f"{where[row.row]}：{described}，无法确定是哪一位成员"
        elif owners:
            targets[row.row] = next(iter(owners.values()))
    claimed = {member.id for member in targets.values()}

    # 2. name in the row's branch
    for row in rows:
        if row.row in targets or row.row in problems:
            continue
        same = [m for m in existing.by_name.get(row.name, ())
                if m.id not in claimed and existing.in_branch(m, row.branch)]
        if len(same) > 1:
            problems[row.row] = (f"{where[row.row]}：「{row.branch}」已有 {len(same)} 位「{row.name}」，"
                                 f"无法确定是哪一位；{_ADD_ACCOUNTS}")
        elif same:
            targets[row.row] = same[0]
    claimed |= {member.id for member in targets.values()}

    # 3. the one member of that name anywhere
    wanted: dict[int, list[RosterRow]] = {}
    for row in rows:
        if row.row in targets or row.row in problems:
            continue
        namesakes = [m for m in existing.by_name.get(row.name, ()) if m.id not in claimed]
        candidates = [m for m in namesakes if not existing.conflicting_account(m, row)]
        if len(candidates) > 1:
            places = "、".join(existing.branch_of(m) for m in candidates)
            problems[row.row] = (f"{where[row.row]}：已有 {len(candidates)} 位「{row.name}」（{places}），"
                                 f"无法确定本行是哪一位；{_ADD_ACCOUNTS}")
        elif candidates:
            wanted.setdefault(candidates[0].id, []).append(row)
    for member_id, claimants in wanted.items():
        member = existing.members[member_id]
        if len(claimants) == 1:
            targets[claimants[0].row] = member
            continue
        numbers = "、".join(str(row.row) for row in claimants)
        for row in claimants:
            problems[row.row] = (f"{where[row.row]}：第 {numbers} 行都可能是已有成员 {existing.describe(member)}，"
                                 f"无法确定是哪一行；{_ADD_ACCOUNTS}")

    # two rows for one member (by account), and moves into a branch that keeps a namesake
    first_row: dict[int, int] = {}
    moved_to = {targets[row.row].id: row.branch for row in rows if row.row in targets}
    for row in rows:
        target = targets.get(row.row)
        if target is None or row.row in problems:
            continue
        earlier = first_row.setdefault(target.id, row.row)
        if earlier != row.row:
            problems[row.row] = (f"{where[row.row]}：与第 {earlier} 行的账号属于同一位已有成员 "
                                 f"{existing.describe(target)}，请合并为一行")
            continue
        if existing.in_branch(target, row.branch):
            continue
        stays = [m for m in existing.by_name.get(row.name, ())
                 if m.id != target.id and existing.in_branch(m, row.branch)
                 and moved_to.get(m.id, row.branch) == row.branch]
        if stays:
            problems[row.row] = (f"{where[row.row]}：本行对应已有成员 {existing.describe(target)}，"
                                 f"但「{row.branch}」已有另一位「{row.name}」，两条记录无法自动合并；"
                                 "请核对本行的账号或支部")
    ordered = [problems[row.row] for row in rows if row.row in problems]
    return ordered, {number: member for number, member in targets.items() if number not in problems}


def check_roster(*, session: Session, rows: list[RosterRow], label: str) -> list[str]:
    return _resolve(session, rows, label)[0]


def import_roster(*, session: Session, rows: list[RosterRow], now: datetime, label: str) -> ImportResult:
    """Check against the database, then upsert every row in the caller's transaction
    (the caller commits; on RosterError nothing has been written)."""
    problems, targets = _resolve(session, rows, label)
    if problems:
        raise RosterError(problems)
    branch_names = {b.id: b.name for b in session.exec(select(Branch)).all()}
    held: dict[int, set[tuple[str, str]]] = {}
    if targets:
        for identity in session.exec(select(Identity).where(
                Identity.member_id.in_([m.id for m in targets.values()]))).all():
            held.setdefault(identity.member_id, set()).add((identity.channel, identity.external_id))
    branches_before = len(branch_names)
    added = updated = unchanged = 0
    moves: list[tuple[str, str, str]] = []
    for row in rows:
        target = targets.get(row.row)
        branch = get_or_create_branch(session=session, name=row.branch)
        if target is None:
            upsert_member(session=session, name=row.name, branch_id=branch.id, role=row.role or "member",
                          identities=row.identities, now=now, match=False)
            added += 1
            continue
        role = row.role or target.role
        before = (target.name, target.branch_id, target.role)
        changed = (before != (row.name, branch.id, role)
                   or not set(row.identities.items()) <= held.get(target.id, set()))
        if target.branch_id != branch.id:
            moves.append((row.name, branch_names.get(target.branch_id, _NO_BRANCH), row.branch))
        upsert_member(session=session, name=row.name, branch_id=branch.id, role=role,
                      identities=row.identities, now=now, member=target)
        updated += changed
        unchanged += not changed
    branches = session.exec(select(func.count()).select_from(Branch)).one()
    return ImportResult(added, updated, branches, branches - branches_before, unchanged, tuple(moves))
