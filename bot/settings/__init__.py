"""Typed settings, read once from studybot.yaml and passed in; never a global."""

from bot.settings.loading import CONFIG_ENV, DEFAULT_CONFIG_NAME, ConfigError, find_config, load_settings
from bot.settings.sections import (
    DingTalkRobotWebhook,
    DingTalkSettings,
    LinkTemplateSettings,
    ServerSettings,
    Settings,
    WeChatMPSettings,
    WeComAppSettings,
    WeComRobotSettings,
    WeComSettings,
    parse_offset,
)

__all__ = ["Settings", "ConfigError", "load_settings", "find_config", "parse_offset", "CONFIG_ENV",
           "DEFAULT_CONFIG_NAME", "ServerSettings", "WeComSettings", "WeComRobotSettings", "WeComAppSettings",
           "WeChatMPSettings", "LinkTemplateSettings", "DingTalkSettings", "DingTalkRobotWebhook"]
