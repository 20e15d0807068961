"""The virtual groups of branches on WeChat (h5.branches): one per branch on the "h5" channel, so a contest can run
for the branch (its members answer on the live contest page) and it takes part in every 全委竞赛."""

from __future__ import annotations

from sqlmodel import Session

from bot.storage.branches import get_or_create_group

__all__ = ["H5", "ensure_groups", "group_name", "branch_of"]

H5 = "h5"


def group_name(branch: str) -> str:
    return f"{branch}（微信群）"


def branch_of(channel: str, chat_id: str) -> str | None:
    """The branch of a virtual group (its id is the branch's name); None for any other group."""
    return chat_id if channel == H5 else None


def ensure_groups(session: Session, branches: list[str]) -> None:
    """Each branch on WeChat has its virtual group (channel "h5", its id the branch's name)."""
    for branch in branches:
        get_or_create_group(session=session, channel=H5, external_id=branch, name=group_name(branch),
                            branch_name=branch)
