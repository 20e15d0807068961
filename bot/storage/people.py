"""Members (党员) and their platform identities (one person may be on WeCom and on DingTalk)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import tuple_
from sqlmodel import Session, col, func, select

from bot.storage.fast import DriverStatement
from bot.storage.models import Identity, Member
from safeio.text import plain_name

__all__ = ["find_member", "member_row", "register_member", "upsert_member", "MemberRecord", "write_members",
           "branch_roster_size", "rostered_count", "members_of_branch", "members_with_role", "all_members",
           "identities_of", "identities_on", "identities_of_members", "accounts_in_branch"]


def find_member(*, session: Session, channel: str, external_id: str) -> Member | None:
    return session.exec(
        select(Member).join(Identity, Identity.member_id == Member.id)
        .where(Identity.channel == channel, Identity.external_id == external_id)
    ).first()


_MEMBER_ROW = DriverStatement("SELECT id, name, branch_id, role, rostered FROM member WHERE id = :id")


def member_row(*, session: Session, member_id: int) -> tuple[int, str, int | None, str, bool] | None:
    """(id, name, branch, role, rostered) of a member, or None: a logged-in page's member is looked up once per
    member of a contest (10,000 in bench/h5.py), where an ORM Member cost ~0.2 ms."""
    rows = _MEMBER_ROW.rows(session.connection(), {"id": member_id})
    if not rows:
        return None
    member, name, branch, role, rostered = rows[0]
    return int(member), str(name), branch, str(role), bool(rostered)


def register_member(*, session: Session, channel: str, external_id: str, name: str,
                    branch_id: int | None, now: datetime) -> Member:
    """A sender seen for the first time (no identity on `channel` yet).

    If the roster already has a member of that name with no account on this channel, the
    account is linked to them rather than creating a second person: in a group, the one of
    that name in the group's branch, else the one of that name not yet in any branch; in a
    private chat (branch_id None), the one of that name anywhere. When that is ambiguous (two
    unlinked members of the name), a new member of the group's branch (or of no branch) is made.
    The name is read as plain_name: 「王\u200b五」 is the roster's 王五, not a second one."""
    name = plain_name(name) or name
    member = _unlinked_namesake(session, channel=channel, name=name, branch_id=branch_id)
    if member is None:
        member = Member(name=name, branch_id=branch_id, created_at=now)
        session.add(member)
        session.flush()
    elif member.branch_id is None and branch_id is not None:
        member.branch_id = branch_id  # known only privately (or on another channel) until now
        session.add(member)
    session.add(Identity(channel=channel, external_id=external_id, member_id=member.id))
    session.flush()
    return member


def _unlinked_namesake(session: Session, *, channel: str, name: str, branch_id: int | None) -> Member | None:
    candidates = session.exec(select(Member).where(Member.name == name).order_by(Member.id)).all()
    if not candidates:
        return None
    linked = set(session.exec(select(Identity.member_id).where(
        Identity.channel == channel, Identity.member_id.in_([m.id for m in candidates]))).all())
    unlinked = [m for m in candidates if m.id not in linked]
    if branch_id is not None:
        in_branch = [m for m in unlinked if m.branch_id == branch_id]
        if in_branch:
            return in_branch[0] if len(in_branch) == 1 else None
        unlinked = [m for m in unlinked if m.branch_id is None]
    return unlinked[0] if len(unlinked) == 1 else None


def upsert_member(*, session: Session, name: str, branch_id: int, role: str,
                  identities: dict[str, str], now: datetime,
                  member: Member | None = None, match: bool = True) -> tuple[Member, bool]:
    """Roster import: update `member` when the caller has already decided who the row is
    (bot.services.roster does; match=False with no member: the row is a new person), else find them
    by an identity or by name in the branch, else create. Returns (member, created)."""
    if member is None and match:
        for channel, external_id in identities.items():
            member = find_member(session=session, channel=channel, external_id=external_id)
            if member:
                break
    if member is None and match:
        member = session.exec(select(Member).where(Member.name == name, Member.branch_id == branch_id)
                              .order_by(Member.id)).first()
    [written] = write_members(session=session, now=now, records=[MemberRecord(
        name, branch_id, role, identities, None if member is None else member.id, owner_wins=False)])
    return written, member is None


@dataclass(frozen=True)
class MemberRecord:
    """What a roster row makes of a member: `member_id` is the member it updates; None for a new person
    (or, with `owner_wins`, the member who already holds one of the accounts: someone who wrote to the bot
    before the roster named them). `role` None keeps the member's role ("member" for a new one)."""
    name: str
    branch_id: int
    role: str | None
    identities: dict[str, str]
    member_id: int | None = None
    owner_wins: bool = True
    # 党员类别, 支部职务, 党小组 (Member.category …); None keeps the member's ("" for a new one)
    category: str | None = None
    position: str | None = None
    party_group: str | None = None


def write_members(*, session: Session, records: list[MemberRecord], now: datetime) -> list[Member]:
    """Create or update the members and point the accounts at them, in a few statements for the whole list
    (a roster import writes hundreds at a time; one query per row held SQLite's lock for seconds)."""
    accounts = [(channel, account) for record in records for channel, account in record.identities.items()]
    owners = {(i.channel, i.external_id): i for i in _identities(session, accounts)}
    ids = [record.member_id for record in records if record.member_id is not None]
    ids += [owners[a].member_id for r in records if r.owner_wins for a in r.identities.items() if a in owners]
    known = {m.id: m for m in session.exec(select(Member).where(col(Member.id).in_(ids)))} if ids else {}
    written: list[Member] = []
    for record in records:
        member_id = record.member_id
        if member_id is None and record.owner_wins:
            member_id = next((owners[a].member_id for a in record.identities.items() if a in owners), None)
        member = known.get(member_id) if member_id is not None else None
        if member is None:
            member = Member(name=record.name, branch_id=record.branch_id, role=record.role or "member",
                            created_at=now, rostered=True)
        else:
            member.name, member.branch_id, member.role = record.name, record.branch_id, record.role or member.role
            member.rostered = True
        for column in ("category", "position", "party_group"):
            if (value := getattr(record, column)) is not None:
                setattr(member, column, value)
        session.add(member)
        written.append(member)
    session.flush()  # new members get their ids, in one statement
    for record, member in zip(records, written):
        for channel, account in record.identities.items():
            identity = owners.get((channel, account))
            if identity is None:
                owners[(channel, account)] = identity = Identity(channel=channel, external_id=account,
                                                                 member_id=member.id)
            identity.member_id = member.id
            session.add(identity)
    session.flush()
    return written


def _identities(session: Session, accounts: list[tuple[str, str]]) -> list[Identity]:
    found: list[Identity] = []
    for start in range(0, len(accounts), 400):  # well under every driver's limit on bound parameters
        part = accounts[start:start + 400]
        found += session.exec(select(Identity).where(tuple_(Identity.channel, Identity.external_id).in_(part)))
    return found


def branch_roster_size(*, session: Session, branch_id: int | None) -> int:
    """Every member the bot knows in the branch: put there by the roster or seen writing in its group."""
    if branch_id is None:
        return 0
    return session.exec(select(func.count()).select_from(Member).where(Member.branch_id == branch_id)).one()


def rostered_count(*, session: Session, branch_id: int | None) -> int:
    """The members an imported roster puts in the branch (0 without a roster)."""
    if branch_id is None:
        return 0
    return session.exec(select(func.count()).select_from(Member)
                        .where(Member.branch_id == branch_id, Member.rostered == True)).one()  # noqa: E712


def members_of_branch(*, session: Session, branch_id: int | None) -> list[Member]:
    return list(session.exec(select(Member).where(Member.branch_id == branch_id).order_by(Member.id)))


def members_with_role(*, session: Session, branch_id: int, role: str) -> list[Member]:
    return list(session.exec(select(Member).where(Member.branch_id == branch_id, Member.role == role)
                             .order_by(Member.id)))


def all_members(*, session: Session, branch_id: int | None = None, any_branch: bool = True) -> list[Member]:
    """Every member in the order they were added; with `any_branch` False, those of `branch_id` only."""
    query = select(Member)
    if not any_branch:
        query = query.where(Member.branch_id == branch_id)
    return list(session.exec(query.order_by(Member.id)))


def identities_of(*, session: Session, member_id: int) -> list[Identity]:
    return list(session.exec(select(Identity).where(Identity.member_id == member_id).order_by(Identity.id)))


def identities_on(*, session: Session, channels: Iterable[str]) -> list[Identity]:
    """Every account on the given channels (a roster's account columns)."""
    return list(session.exec(select(Identity).where(col(Identity.channel).in_(list(channels)))
                             .order_by(Identity.id)))


def identities_of_members(*, session: Session, member_ids: Iterable[int]) -> list[Identity]:
    return list(session.exec(select(Identity).where(col(Identity.member_id).in_(list(member_ids)))
                             .order_by(Identity.id)))


def accounts_in_branch(*, session: Session, branch_id: int, channel: str) -> list[Identity]:
    """The `channel` accounts of the members of `branch_id` (one query, however large the branch)."""
    return list(session.exec(select(Identity).join(Member, col(Member.id) == col(Identity.member_id))
                             .where(Identity.channel == channel, Member.branch_id == branch_id)
                             .order_by(Identity.id)))
