"""The "h5" channel: the virtual groups of branches on WeChat (h5.branches). No bot sits in an ordinary WeChat
group, so nothing is sent there: the members follow the contest on its live page (bot/web/h5/contest.py), which
gets every step from the contest service's StepHub, not from messages. A message for such a group (a contest's
intro, a reveal) is dropped here, quietly; the group exists so that a contest can run for its branch."""

from __future__ import annotations

import logging

from sqlmodel import Session

from bot.messages import Outgoing
from bot.storage.branches import get_or_create_group

__all__ = ["H5Channel", "H5", "ensure_groups", "group_name"]

log = logging.getLogger(__name__)
H5 = "h5"


def group_name(branch: str) -> str:
    return f"{branch}（微信群）"


def ensure_groups(session: Session, branches: list[str]) -> None:
    """Each branch on WeChat has its virtual group (channel "h5", its id the branch's name)."""
    for branch in branches:
        get_or_create_group(session=session, channel=H5, external_id=branch, name=group_name(branch),
                            branch_name=branch)


class H5Channel:
    name = H5

    def send(self, message: Outgoing) -> None:
        log.debug("h5 group %s: step shown on the contest page, not sent: %.40s", message.chat.chat_id, message.text)

    async def deliver(self, message: Outgoing) -> None:
        self.send(message)

    def router(self) -> None:
        return None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
