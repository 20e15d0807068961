"""Secrets in studybot.yaml: `env:NAME` reads the value from the environment variable NAME, so none is written in
the file. Shared by the channel sections and the dashboard's (bot/settings/web.py)."""

from __future__ import annotations

import os
from typing import Annotated

from pydantic import BeforeValidator, SecretStr

__all__ = ["Secret", "Plain", "from_env"]


def from_env(value: object) -> object:
    """`env:NAME` -> the environment variable NAME's value; anything else as it is."""
    if isinstance(value, str) and value.startswith("env:"):
        name = value[4:].strip()
        if not os.environ.get(name):
            raise ValueError(f"环境变量 {name} 未设置或为空")
        return os.environ[name]
    return value


Secret = Annotated[SecretStr, BeforeValidator(from_env)]
Plain = Annotated[str, BeforeValidator(from_env)]
