"""The 三会一课 report's reads for many branches at once (bot/services/meeting_year.py): the meetings of a span,
the expected attendees frozen for them, the roster's facts grouped per branch and the members of some branches,
each in one query instead of one per branch or meeting."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session, col, select

from bot.storage.models import MeetingRow, Member
from bot.storage.models_records import ExpectedAttendee

__all__ = ["meetings_of", "frozen_of", "roster_groups", "members_where", "people_of"]

# id, branch id, name, rostered, role, category, position, party group
PersonRow = tuple[int, int | None, str, bool, str, str, str, str]


def meetings_of(*, session: Session, branch_ids: Iterable[int] | None, since: datetime, until: datetime
                ) -> list[MeetingRow]:
    """The meetings not cancelled that started in [since, until] (of these branches, or of all), earliest first."""
    query = select(MeetingRow).where(col(MeetingRow.cancelled_at).is_(None), MeetingRow.start_at >= since,
                                     MeetingRow.start_at <= until)
    if branch_ids is not None:
        query = query.where(col(MeetingRow.branch_id).in_(list(branch_ids)))
    return list(session.exec(query.order_by(MeetingRow.start_at, MeetingRow.id)))


def frozen_of(*, session: Session, meeting_ids: Iterable[int]) -> dict[int, list[int]]:
    """meeting id -> the member ids frozen as its expected attendees, ascending (meetings not frozen are absent)."""
    wanted = list(meeting_ids)
    if not wanted:
        return {}
    frozen: dict[int, list[int]] = {}
    for meeting_id, member_id in session.exec(
            select(ExpectedAttendee.meeting_id, ExpectedAttendee.member_id)
            .where(col(ExpectedAttendee.meeting_id).in_(wanted)).order_by(ExpectedAttendee.member_id)):
        frozen.setdefault(meeting_id, []).append(member_id)
    return frozen


def roster_groups(*, session: Session) -> list[tuple[int, bool, str, str, str, str, int]]:
    """(branch id, rostered, category, position, party group, role, how many members) over every member in a
    branch: what a branch's 三会一课 requirements depend on, without loading each member."""
    rows = session.execute(text(
        "SELECT branch_id, rostered, category, position, party_group, role, COUNT(*) FROM member "
        "WHERE branch_id IS NOT NULL GROUP BY branch_id, rostered, category, position, party_group, role"))
    return [(b, bool(r), c, p, g, role, n) for b, r, c, p, g, role, n in rows]


def members_where(*, session: Session, positions: Iterable[str], roles: Iterable[str]) -> list[Member]:
    """Members in a branch holding one of these 支部职务 (as written) or roles, in id order."""
    wanted_positions, wanted_roles = list(set(positions)), list(set(roles))
    if not wanted_positions and not wanted_roles:
        return []
    return list(session.exec(select(Member).where(
        col(Member.branch_id).is_not(None),
        col(Member.position).in_(wanted_positions) | col(Member.role).in_(wanted_roles)).order_by(Member.id)))


def people_of(*, session: Session, branch_ids: Iterable[int] = (), member_ids: Iterable[int] = ()
              ) -> list[PersonRow]:
    """The members of these branches and these members, as plain rows in id order (no ORM objects: a report
    reads thousands)."""
    branches, members = list(set(branch_ids)), list(set(member_ids))
    if not branches and not members:
        return []
    query = select(Member.id, Member.branch_id, Member.name, Member.rostered, Member.role, Member.category,
                   Member.position, Member.party_group)
    query = query.where(col(Member.branch_id).in_(branches) | col(Member.id).in_(members)).order_by(Member.id)
    return [(i or 0, b, n, bool(r), role, c, p, g) for i, b, n, r, role, c, p, g in session.exec(query)]
