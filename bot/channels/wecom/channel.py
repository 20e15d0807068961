"""WeCom (企业微信) as one channel, "wecom": the smart robot in groups (long connection or HTTP
callback), the self-built app for private chats, and the group 消息推送 webhooks for pushes.

One channel name for all of them, because a member's WeCom user id is the same in each: their
identity, points and 错题本 are one. This module only routes; each part is its own adapter and
alone imports what it needs (wechatpy, websockets)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from fastapi import APIRouter

from bot.channels.common.private_notes import dropped
from bot.messages import Outgoing
from bot.settings import WeComSettings

if TYPE_CHECKING:
    from bot.app import App
    from bot.channels.wecom.webhook import GroupWebhooks

__all__ = ["WeComChannel", "Part", "CHANNEL"]

log = logging.getLogger(__name__)
CHANNEL = "wecom"


class Part(Protocol):
    """What each part offers the composite: the Channel protocol but for the name, which is the
    composite's."""

    def send(self, message: Outgoing) -> None: ...

    async def deliver(self, message: Outgoing) -> None: ...

    def router(self) -> APIRouter | None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class WeComChannel:
    name = CHANNEL

    def __init__(self, *, app: App, settings: WeComSettings) -> None:
        self._webhooks: GroupWebhooks | None = None
        self._robot: Part | None = None
        self._app_part: Part | None = None
        if settings.webhooks or (settings.robot and settings.robot.mode == "callback"):
            from bot.channels.wecom.webhook import GroupWebhooks, WeComWebhook

            self._webhooks = GroupWebhooks(webhook=WeComWebhook(api_base_url=settings.api_base_url),
                                           keys=settings.webhooks)
        if settings.robot and settings.robot.mode == "websocket":
            from bot.channels.wecom.ws import WeComRobotWS

            self._robot = WeComRobotWS(app=app, settings=settings.robot, channel=CHANNEL)
        elif settings.robot:
            from bot.channels.wecom.robot_http import WeComRobotHTTP

            self._robot = WeComRobotHTTP(app=app, settings=settings, webhooks=self._webhooks, channel=CHANNEL)
        if settings.app is not None:
            from bot.channels.wecom.app import WeComApp

            self._app_part = WeComApp(app=app, corp_id=settings.corp_id, settings=settings.app,
                                      api_base_url=settings.api_base_url, channel=CHANNEL)
        # started in this order, stopped in the reverse one
        self._parts: list[Part] = [part for part in (self._webhooks, self._robot, self._app_part) if part is not None]
        self._warned: set[str] = set()

    def router(self) -> APIRouter | None:
        routers = [router for part in self._parts if (router := part.router()) is not None]
        if not routers:
            return None
        combined = APIRouter()
        for router in routers:
            combined.include_router(router)
        return combined

    async def start(self) -> None:
        for part in self._parts:
            await part.start()

    async def stop(self) -> None:
        for part in reversed(self._parts):
            try:
                await part.stop()
            except Exception:
                log.exception("stopping %s failed", type(part).__name__)

    def _sender(self, message: Outgoing) -> Part | None:
        """Groups: the robot (which falls back to the group's webhook in callback mode), or the
        webhook alone; private chats: the self-built app, else the robot's 1:1 chat."""
        if message.chat.is_group:
            return self._robot or self._webhooks
        return self._app_part or self._robot

    def send(self, message: Outgoing) -> None:
        if dropped(message, CHANNEL):  # a note for one member: the robot shows it on their card, or nothing does
            return
        target = self._sender(message)
        if target is None:
            if message.chat.chat_id not in self._warned:
                self._warned.add(message.chat.chat_id)
                log.error("wecom: nothing configured can send to %s chat %s", "group" if message.chat.is_group
                          else "private", message.chat.chat_id)
            return
        target.send(message)

    def notes_wire(self, message: Outgoing) -> bool:
        """A push through a group's webhook tells the outbox when it leaves (common/wire.py)."""
        return self._webhooks is not None and self._webhooks.notes_wire(message)

    async def deliver(self, message: Outgoing) -> None:
        """For the outbox: a group with a 消息推送 webhook is sent through it and awaited (raises when
        WeCom refused it or every attempt failed); otherwise the part that sends it: the long-connection
        robot awaits WeCom's ack, the others (the callback robot, the app) queue it and return. A note for
        one member is dropped."""
        if dropped(message, CHANNEL):
            return
        if self._webhooks is not None and self._webhooks.key_for(message.chat) is not None:
            await self._webhooks.deliver(message)
            return
        target = self._sender(message)
        if target is None:
            self.send(message)  # logged there, once per chat
            return
        await target.deliver(message)
