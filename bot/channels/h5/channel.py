"""The "h5" channel: the virtual groups of branches on WeChat (h5.branches). No bot sits in an ordinary WeChat
group, so nothing is sent there: the members follow the contest on its live page (bot/web/h5/contest.py), which
gets every step from the contest service's StepHub, not from messages. A message for such a group (a contest's
intro, a reveal) is dropped here, quietly; the group exists so that a contest can run for its branch."""

from __future__ import annotations

import logging

from bot.messages import Outgoing
from bot.services.h5_groups import H5

__all__ = ["H5Channel"]

log = logging.getLogger(__name__)


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
