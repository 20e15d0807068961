"""WeCom (企业微信) as one channel, "wecom": the smart robot in groups (long connection or HTTP
callback), the self-built app for private chats, and the group 消息推送 webhooks for pushes.

One channel name for all of them, because a member's WeCom user id is the same in each: their
identity, points and 错题本 are one. This module only routes; each part is its own adapter and
alone imports what it needs (wechatpy, websockets)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from fastapi import APIRouter

from bot.messages import Outgoing
from bot.settings import WeComSettings

if TYPE_CHECKING:
    from bot.app import App

__all__ = ["WeComChannel", "CHANNEL"]

log = logging.getLogger(__name__)
CHANNEL = "wecom"


class WeComChannel:
    name = CHANNEL

    def __init__(self, *, app: App, settings: WeComSettings) -> None:
        self._parts: list = []
        self.webhook = self.robot = self.app_adapter = None
        if settings.webhooks or (settings.robot and settings.robot.mode == "callback"):
            from bot.channels.wecom_webhook import WeComWebhook

            self.webhook = WeComWebhook(api_base_url=settings.api_base_url)
            self._parts.append(self.webhook)
        if settings.robot and settings.robot.mode == "websocket":
            from bot.channels.wecom_ws import WeComRobotWS

            self.robot = WeComRobotWS(app=app, settings=settings.robot, channel=CHANNEL)
        elif settings.robot:
            from bot.channels.wecom_robot_http import WeComRobotHTTP

            self.robot = WeComRobotHTTP(app=app, settings=settings, webhook=self.webhook, channel=CHANNEL)
        if self.robot is not None:
            self._parts.append(self.robot)
        if settings.app is not None:
            from bot.channels.wecom_app import WeComApp

            self.app_adapter = WeComApp(app=app, corp_id=settings.corp_id, settings=settings.app,
                                        api_base_url=settings.api_base_url, channel=CHANNEL)
            self._parts.append(self.app_adapter)
        self._webhook_keys = settings.webhooks
        self._warned: set[str] = set()

    def router(self) -> APIRouter | None:
        routers = [r for part in self._parts if hasattr(part, "router") and (r := part.router()) is not None]
        if not routers:
            return None
        combined = APIRouter()
        for router in routers:
            combined.include_router(router)
        return combined

    async def start(self) -> None:
        for part in self._parts:
            if hasattr(part, "start"):
                await part.start()

    async def stop(self) -> None:
        for part in reversed(self._parts):
            if hasattr(part, "stop"):
                try:
                    await part.stop()
                except Exception:
                    log.exception("stopping %s failed", type(part).__name__)

    def send(self, message: Outgoing) -> None:
        """Groups: the robot (which falls back to the group's webhook in callback mode), or the
        webhook alone; private chats: the self-built app, else the robot's 1:1 chat."""
        if message.chat.is_group:
            target = self.robot or self._webhook_sender()
        else:
            target = self.app_adapter or self.robot
        if target is None:
            if message.chat.chat_id not in self._warned:
                self._warned.add(message.chat.chat_id)
                log.error("wecom: nothing configured can send to %s chat %s", "group" if message.chat.is_group
                          else "private", message.chat.chat_id)
            return
        target.send(message)

    async def deliver(self, message: Outgoing) -> None:
        """For the outbox: a group with a 消息推送 webhook is sent through it and awaited (raises when
        WeCom refused it or every attempt failed); otherwise the long-connection robot, awaiting WeCom's
        ack; anything else (the callback robot, the app) is handed to `send` and its own queue."""
        key = None
        if message.chat.is_group and self.webhook is not None:
            key = self._webhook_keys.get(message.chat.name) or self._webhook_keys.get(message.chat.chat_id)
        if key is not None:
            await asyncio.gather(*self.webhook.send_markdown(key.get_secret_value(), message.text, confirmed=True))
            return
        if self.robot is not None and (message.chat.is_group or self.app_adapter is None):
            await self.robot.deliver(message)  # the long connection waits for WeCom's ack of each push
            return
        self.send(message)

    def _webhook_sender(self):
        if self.webhook is None:
            return None
        webhook, keys = self.webhook, self._webhook_keys

        class _Pusher:  # a group reached only through its 消息推送 webhook
            def send(self, message: Outgoing) -> None:
                key = keys.get(message.chat.name) or keys.get(message.chat.chat_id)
                if key is None:
                    log.error("wecom: no webhook configured for group %s", message.chat.name or message.chat.chat_id)
                    return
                webhook.send_markdown(key.get_secret_value(), message.text)

        return _Pusher()
