"""Which platform channels `studybot run` starts: the sections present in studybot.yaml."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import App
    from bot.channels.base import Channel

__all__ = ["add_platform_channels"]


def add_platform_channels(app: App) -> list[Channel]:
    """Build and register the configured platform channels; an adapter (and its SDK) is imported
    only when its section is configured."""
    added: list[Channel] = []
    if app.settings.wecom is not None:
        from bot.channels.wecom import WeComChannel

        added.append(WeComChannel(app=app, settings=app.settings.wecom))
    if app.settings.wechat_mp is not None:
        from bot.channels.wechat_mp import WeChatMP

        added.append(WeChatMP(app=app, settings=app.settings.wechat_mp))
    if app.settings.dingtalk is not None:
        from bot.channels.dingtalk import DingTalkChannel, WebhookRobot

        dingtalk = app.settings.dingtalk
        robots = {group: WebhookRobot(robot.access_token.get_secret_value(),
                                      robot.secret.get_secret_value() if robot.secret else None)
                  for group, robot in dingtalk.webhooks.items()}
        added.append(DingTalkChannel(app=app, client_id=dingtalk.client_id,
                                     client_secret=dingtalk.client_secret.get_secret_value(),
                                     openapi_endpoint=dingtalk.openapi_endpoint,
                                     card_template_id=dingtalk.card_template_id, webhooks=robots,
                                     webhook_base_url=dingtalk.webhook_base_url))
    for channel in added:
        app.add_channel(channel)
    return added
