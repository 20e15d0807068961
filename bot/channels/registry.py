"""The one door into the channel packages: which platform channels `studybot run` starts (the
sections present in studybot.yaml), and the local chat the command line plays and types into.

Every channel is built here and handed to the app as a `Channel`, so the type checker proves each
one offers the whole protocol. A platform's package (and its SDK) is imported only when its
section is configured."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from bot.channels.local import play
from bot.channels.local.channel import LocalChannel
from bot.channels.local.script import DEFAULT_GROUP, PRIVATE, ScriptError, Step, parse_script

if TYPE_CHECKING:
    from bot.app import App
    from bot.channels.base import Channel
    from bot.clock import ManualClock

__all__ = ["add_platform_channels", "local_channel", "play_script", "chat_interactively", "parse_script",
           "ScriptError", "DEFAULT_GROUP", "PRIVATE"]


def add_platform_channels(app: App) -> list[Channel]:
    """Build and register the configured platform channels."""
    added: list[Channel] = []
    if app.settings.wecom is not None:
        from bot.channels.wecom.channel import WeComChannel

        added.append(WeComChannel(app=app, settings=app.settings.wecom))
    if app.settings.wechat_mp is not None:
        from bot.channels.wechat_mp.channel import WeChatMP

        added.append(WeChatMP(app=app, settings=app.settings.wechat_mp))
    if app.settings.dingtalk is not None:
        from bot.channels.dingtalk.channel import DingTalkChannel, WebhookRobot

        dingtalk = app.settings.dingtalk
        robots = {group: WebhookRobot(robot.access_token.get_secret_value(),
                                      robot.secret.get_secret_value() if robot.secret else None)
                  for group, robot in dingtalk.webhooks.items()}
        added.append(DingTalkChannel(app=app, client_id=dingtalk.client_id,
                                     client_secret=dingtalk.client_secret.get_secret_value(),
                                     openapi_endpoint=dingtalk.openapi_endpoint,
                                     card_template_id=dingtalk.card_template_id, webhooks=robots,
                                     webhook_base_url=dingtalk.webhook_base_url,
                                     quota_per_month=dingtalk.quota_per_month))
    if app.settings.h5.branches:  # branches on WeChat: their virtual groups take part in contests
        from bot.channels.h5.channel import H5Channel

        added.append(H5Channel())
    for channel in added:
        app.add_channel(channel)
    return added


def local_channel(app: App, out: TextIO) -> LocalChannel:
    """The terminal's channel, printing to `out`, added to `app` as a `Channel` like the others."""
    channel = LocalChannel(app, out, app.settings.bot.name)
    checked: Channel = channel
    app.add_channel(checked)
    return channel


def play_script(steps: list[Step], make_app: Callable[[ManualClock], App], clock: ManualClock,
                out: TextIO) -> None:
    """Play parsed .chat steps on the simulated clock and print the transcript to `out`."""
    play.play_script(steps, make_app, clock, out, attach=local_channel)


async def chat_interactively(app: App, name: str, group: str, stdin: TextIO | None = None,
                             out: TextIO | None = None) -> None:
    """Type as `name` in `group` in real time, in the terminal."""
    await play.chat_interactively(app, name, group, stdin, out, attach=local_channel)
