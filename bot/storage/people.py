"""Members, their platform identities, branches and chat groups."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, func, select

from bot.storage.models import Branch, ChatGroup, Identity, Member

__all__ = ["get_or_create_branch", "find_member", "register_member", "get_or_create_group",
           "branch_roster_size", "upsert_member"]


def get_or_create_branch(*, session: Session, name: str) -> Branch:
    branch = session.exec(select(Branch).where(Branch.name == name)).first()
    if branch is None:
        branch = Branch(name=name)
        session.add(branch)
        session.flush()
    return branch


def find_member(*, session: Session, channel: str, external_id: str) -> Member | None:
    return session.exec(
        select(Member).join(Identity, Identity.member_id == Member.id)
        .where(Identity.channel == channel, Identity.external_id == external_id)
    ).first()


def register_member(*, session: Session, channel: str, external_id: str, name: str,
                    branch_id: int | None, now: datetime) -> Member:
    """A sender seen for the first time becomes a member of the group's branch.
    Where the roster already has one unlinked member of that name in that branch,
    the account is linked to them instead of creating a second person."""
    candidates = session.exec(select(Member).where(Member.name == name, Member.branch_id == branch_id)).all()
    linked = {i.member_id for i in session.exec(select(Identity).where(Identity.channel == channel)).all()} \
        if candidates else set()
    unlinked = [m for m in candidates if m.id not in linked]
    member = unlinked[0] if len(unlinked) == 1 else None
    if member is None:
        member = Member(name=name, branch_id=branch_id, created_at=now)
        session.add(member)
        session.flush()
    session.add(Identity(channel=channel, external_id=external_id, member_id=member.id))
    session.flush()
    return member


def upsert_member(*, session: Session, name: str, branch_id: int, role: str,
                  identities: dict[str, str], now: datetime) -> tuple[Member, bool]:
    """Roster import: find the member by an identity or by name in the branch, else create.
    Returns (member, created)."""
    member = None
    for channel, external_id in identities.items():
        member = find_member(session=session, channel=channel, external_id=external_id)
        if member:
            break
    if member is None:
        member = session.exec(select(Member).where(Member.name == name, Member.branch_id == branch_id)).first()
    created = member is None
    if member is None:
        member = Member(name=name, branch_id=branch_id, role=role, created_at=now)
        session.add(member)
        session.flush()
    member.name, member.branch_id, member.role = name, branch_id, role
    session.add(member)
    for channel, external_id in identities.items():
        identity = session.exec(select(Identity).where(Identity.channel == channel,
                                                       Identity.external_id == external_id)).first()
        if identity is None:
            session.add(Identity(channel=channel, external_id=external_id, member_id=member.id))
        else:
            identity.member_id = member.id
            session.add(identity)
    session.flush()
    return member, created


def get_or_create_group(*, session: Session, channel: str, external_id: str, name: str,
                        branch_name: str) -> ChatGroup:
    group = session.exec(select(ChatGroup).where(ChatGroup.channel == channel,
                                                 ChatGroup.external_id == external_id)).first()
    branch = get_or_create_branch(session=session, name=branch_name)
    if group is None:
        group = ChatGroup(channel=channel, external_id=external_id, name=name, branch_id=branch.id)
        session.add(group)
        session.flush()
    elif group.branch_id != branch.id or group.name != name:
        # the config's group -> branch mapping may change between runs: it wins
        group.branch_id, group.name = branch.id, name
        session.add(group)
        session.flush()
    return group


def branch_roster_size(*, session: Session, branch_id: int | None) -> int:
    if branch_id is None:
        return 0
    return session.exec(select(func.count()).select_from(Member).where(Member.branch_id == branch_id)).one()
