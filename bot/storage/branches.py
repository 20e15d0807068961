"""Branches (党支部) and the chat groups that belong to them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, func, select

from bot.storage.models import Branch, ChatGroup

__all__ = ["get_or_create_branch", "branch_named", "all_branches", "branch_names", "branch_count",
           "group_by_id", "get_or_create_group", "groups_of_branch", "groups_for", "all_groups",
           "known_groups"]


def get_or_create_branch(*, session: Session, name: str) -> Branch:
    branch = branch_named(session=session, name=name)
    if branch is None:
        branch = Branch(name=name)
        session.add(branch)
        session.flush()
    return branch


def branch_named(*, session: Session, name: str) -> Branch | None:
    return session.exec(select(Branch).where(Branch.name == name)).first()


def all_branches(*, session: Session) -> list[Branch]:
    return list(session.exec(select(Branch).order_by(Branch.id)))


def branch_names(*, session: Session) -> dict[int, str]:
    return {branch.id: branch.name for branch in all_branches(session=session)}


def branch_count(*, session: Session) -> int:
    return session.exec(select(func.count()).select_from(Branch)).one()


def group_by_id(*, session: Session, group_id: int) -> ChatGroup:
    group = session.get(ChatGroup, group_id)
    if group is None:
        raise LookupError(f"no chat group {group_id}")
    return group


def get_or_create_group(*, session: Session, channel: str, external_id: str, name: str,
                        branch_name: str, rename: bool = True) -> ChatGroup:
    """The group, created in `branch_name` if new. `rename` False: an existing group is kept as it is (the
    message did not carry the group's name, e.g. a DingTalk card tap, so it says nothing of its branch)."""
    group = session.exec(select(ChatGroup).where(ChatGroup.channel == channel,
                                                 ChatGroup.external_id == external_id)).first()
    if group is not None and not rename:
        return group
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


def groups_of_branch(*, session: Session, branch_id: int | None, name: str = "") -> list[ChatGroup]:
    """The branch's groups in the order the bot met them; only the one called `name` when given."""
    query = select(ChatGroup).where(ChatGroup.branch_id == branch_id)
    if name:
        query = query.where(ChatGroup.name == name)
    return list(session.exec(query.order_by(ChatGroup.id)))


def groups_for(*, session: Session, names: Iterable[str]) -> list[ChatGroup]:
    """The known groups called by one of `names` or belonging to a branch of that name, each once, in the
    order of `names` (a plan's targets)."""
    found: dict[int, ChatGroup] = {}
    for name in names:
        branch = branch_named(session=session, name=name)
        query = select(ChatGroup).where(ChatGroup.name == name)
        if branch is not None:
            query = select(ChatGroup).where((ChatGroup.branch_id == branch.id) | (ChatGroup.name == name))
        for group in session.exec(query.order_by(ChatGroup.id)):
            found.setdefault(group.id, group)
    return list(found.values())


def all_groups(*, session: Session, channels: list[str]) -> list[ChatGroup]:
    """Every group the bot knows on `channels`, in the order it first saw them."""
    return list(session.exec(select(ChatGroup).where(col(ChatGroup.channel).in_(channels)).order_by(col(ChatGroup.id))))


def known_groups(*, session: Session, branch_ids: set[int] | None = None) -> list[ChatGroup]:
    """Every group the bot knows on any channel; of `branch_ids` only, when given."""
    query = select(ChatGroup)
    if branch_ids is not None:
        query = query.where(col(ChatGroup.branch_id).in_(branch_ids))
    return list(session.exec(query.order_by(col(ChatGroup.id))))
