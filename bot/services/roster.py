"""Roster (成员名册) import: read a CSV or .xlsx file, validate every row, then upsert in short transactions.

Validation runs over the whole file (and against the database) before anything is written,
so a roster with problems imports nothing and the person gets every problem at once,
each with the row number they see in Excel (the header is row 1 when it is the first row).
Reading and checking the file itself is bot.services.roster_file; this module checks its rows against the
database and upserts them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot.services.roster_file import IDENTITY_COLUMNS, RosterError, RosterRow
from bot.storage.branches import branch_count, branch_names, get_or_create_branch
from bot.storage.db import Database
from bot.storage.models import Member
from bot.storage.people import MemberRecord, all_members, identities_of_members, identities_on, write_members
from bot.storage.turns import TakingTurns

__all__ = ["ImportResult", "RosterIncomplete", "check_roster", "matched_members", "import_roster", "CHUNK"]

CHUNK = 500  # rows per transaction: tens of milliseconds of the write lock (bench/import_beside_contest.py)


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int  # existing members whose name, branch, role or accounts changed
    branches: int
    new_branches: int
    unchanged: int = 0  # existing members the file names exactly as they are
    moves: tuple[tuple[str, str, str], ...] = ()  # (name, from branch, to branch)


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
        members = {m.id: m for m in all_members(session=session)}
        owner: dict[tuple[str, str], int] = {}
        accounts: dict[int, dict[str, set[str]]] = {}
        for identity in identities_on(session=session, channels=IDENTITY_COLUMNS):
            owner[(identity.channel, identity.external_id)] = identity.member_id
            accounts.setdefault(identity.member_id, {}).setdefault(identity.channel, set()).add(identity.external_id)
        by_name: dict[str, list[Member]] = {}
        for member in members.values():
            by_name.setdefault(member.name, []).append(member)
        return cls(members, branch_names(session=session), owner, accounts, by_name)

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


def _role(row: RosterRow, target: Member | None) -> str | None:
    """The role a row gives: a 管理员 comes and goes only with the 角色 column, so a role read from 支部职务
    leaves an administrator one."""
    if row.role_from_position and target is not None and target.role == "admin":
        return None
    return row.role


def _party(row: RosterRow) -> dict[str, str | None]:
    return {"category": row.category, "position": row.position, "party_group": row.party_group}


def check_roster(*, session: Session, rows: list[RosterRow], label: str) -> list[str]:
    return _resolve(session, rows, label)[0]


def matched_members(*, session: Session, rows: list[RosterRow], label: str) -> dict[int, Member]:
    """The existing member each row (by row number) would update; rows with problems or new members absent."""
    return _resolve(session, rows, label)[1]


def import_roster(db: Database, *, rows: list[RosterRow], now: datetime, label: str, chunk: int = CHUNK,
                  progress: Callable[[int, int], None] | None = None,
                  sleep: Callable[[float], None] = time.sleep,
                  on_last: Callable[[Session], None] | None = None) -> ImportResult:
    """Check every row against the database (RosterError, and nothing written, on any problem), then upsert
    the rows in transactions of `chunk`, so the running bot's answers never wait behind a long import.

    A roster has no staging copy to swap in (members are matched and changed in place), so an import that is
    interrupted part-way (the server goes down) has written its first chunks: running it again finishes it,
    since every row then matches the member it made or changed. A person who first writes to the bot while the
    import runs is the member their account names, not a second one. `progress(done, total)` runs between
    chunks; `sleep` is how the import waits between them for the running bot's writes (bot/storage/turns.py;
    tests pass their own). `on_last(session)` runs in the transaction that writes the last chunk (the dashboard's
    audit line, written with the change that completes the import)."""
    with db.session() as session:
        problems, targets = _resolve(session, rows, label)
        if problems:
            raise RosterError(problems)
        names = branch_names(session=session)
        held: dict[int, set[tuple[str, str]]] = {}
        for identity in identities_of_members(session=session, member_ids=[m.id for m in targets.values()]):
            held.setdefault(identity.member_id, set()).add((identity.channel, identity.external_id))
        added = updated = unchanged = 0
        moves: list[tuple[str, str, str]] = []
        for row in rows:
            target = targets.get(row.row)
            if target is None:
                added += 1
                continue
            changed = ((target.name, names.get(target.branch_id), target.role)
                       != (row.name, row.branch, _role(row, target) or target.role)
                       or any(value is not None and value != getattr(target, column)
                              for column, value in _party(row).items())
                       or not set(row.identities.items()) <= held.get(target.id, set()))
            if names.get(target.branch_id) != row.branch:
                moves.append((row.name, names.get(target.branch_id, _NO_BRANCH), row.branch))
            updated += changed
            unchanged += not changed
        plan = [(row, targets[row.row].id if row.row in targets else None, _role(row, targets.get(row.row)))
                for row in rows]
    turns = TakingTurns(db, sleep=sleep)
    for done in range(0, len(plan), chunk):
        try:
            with turns.transaction() as session:
                branches = {name: get_or_create_branch(session=session, name=name).id
                            for name in dict.fromkeys(row.branch for row, _, _ in plan[done:done + chunk])}
                write_members(session=session, now=now, records=[
                    MemberRecord(row.name, branches[row.branch], role, row.identities, member_id, **_party(row))
                    for row, member_id, role in plan[done:done + chunk]])
                if on_last is not None and done + chunk >= len(plan):
                    on_last(session)
        except OperationalError as exc:
            raise RosterIncomplete(done, len(plan)) from exc
        if progress is not None:
            progress(min(done + chunk, len(plan)), len(plan))
    with db.session() as session:
        branches = branch_count(session=session)
    return ImportResult(added, updated, branches, branches - len(names), unchanged, tuple(moves))


class RosterIncomplete(Exception):
    """The database failed part-way: the first `written` of `total` rows are in; running the import again
    finishes it."""

    def __init__(self, written: int, total: int) -> None:
        super().__init__(f"{written} of {total} rows written")
        self.written, self.total = written, total
