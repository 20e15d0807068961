"""Reading studybot.yaml: where it is found, secrets from the environment, and every problem phrased for the
person editing the file (the key path and the reason), never a traceback."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.settings.sections import Settings
from safeio.limits import Refused
from safeio.oserrors import os_reason
from safeio.yamlfile import read_yaml

__all__ = ["ConfigError", "load_settings", "find_config", "CONFIG_ENV", "DEFAULT_CONFIG_NAME"]

CONFIG_ENV = "STUDYBOT_CONFIG"
DEFAULT_CONFIG_NAME = "studybot.yaml"


class ConfigError(Exception):
    """A config problem, phrased for the person editing the file (key path and reason)."""


# pydantic's error types in the words of the person editing the file
_REASONS = {
    "extra_forbidden": "不认识的配置项（拼写错误？）",
    "int_parsing": "应为整数", "int_type": "应为整数", "int_from_float": "应为整数",
    "float_parsing": "应为数字", "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false", "bool_type": "应为 true 或 false",
    "string_type": "应为文字", "list_type": "应为列表，例如 [a, b]", "dict_type": "应为键值对（下一级缩进的 键: 值）",
    "model_type": "应为键值对（下一级缩进的 键: 值）", "missing": "缺少此项",
    "greater_than_equal": "应不小于 {ge}", "less_than_equal": "应不大于 {le}",
    "greater_than": "应大于 {gt}", "less_than": "应小于 {lt}",
    "string_too_short": "不能为空", "string_too_long": "太长（最多 {max_length} 个字）",
}


def _reason(item: dict[str, Any]) -> str:
    template = _REASONS.get(item["type"])
    if template is not None:
        return template.format(**item.get("ctx", {}))
    if item["type"] == "value_error":  # our own validators already speak Chinese
        return str(item.get("ctx", {}).get("error", item["msg"]))
    return item["msg"]


# errors whose value is not repeated back: an unknown key's, and a secret's (sections.py `secret_shape`)
_UNQUOTED = {"extra_forbidden", "secret_shape"}


def _describe(error: ValidationError, source: str) -> str:
    lines = [f"配置文件 {source} 有误："]
    for item in error.errors():
        path = ".".join(str(part) for part in item["loc"])
        given = item.get("input")
        quoted = item["type"] not in _UNQUOTED and isinstance(given, (str, int, float))
        shown = f"（现为「{given}」）" if quoted else ""
        lines.append(f"  {path}: {_reason(item)}{shown}" if path else f"  {_reason(item)}")
    return "\n".join(lines)


def find_config(explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    default = Path(DEFAULT_CONFIG_NAME)
    return default if default.exists() else None


def load_settings(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Settings from `path`, $STUDYBOT_CONFIG or ./studybot.yaml; the embedded defaults when none exists."""
    config_path = find_config(path)
    data: dict[str, Any] = {}
    source = "(内置默认配置)"
    if config_path is not None:
        source = str(config_path)
        try:
            loaded = read_yaml(config_path)
        except FileNotFoundError:
            raise ConfigError(f"找不到配置文件 {config_path}") from None
        except OSError as exc:  # a directory, no permission
            raise ConfigError(f"配置文件 {config_path} 无法读取（{os_reason(exc)}）") from None
        except Refused as exc:  # not UTF-8 (a GBK file is refused, not guessed: it holds secrets and URLs), a bomb
            where = f" 第 {exc.line} 行：" if exc.line is not None else " "
            raise ConfigError(f"配置文件 {config_path}{where}{exc.reason}") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"第 {mark.line + 1} 行" if mark else ""
            raise ConfigError(f"配置文件 {config_path} {where}不是有效的 YAML（{getattr(exc, 'problem', exc)}），"
                              "请检查缩进、冒号和括号") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"配置文件 {config_path} 的顶层应是键值对")
        data = loaded or {}
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(data.get(key) or {}, dict):
            data[key] = {**(data.get(key) or {}), **value}
        else:
            data[key] = value
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None
