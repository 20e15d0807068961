"""studybot.yaml's `web:` section: the committee's dashboard (bot/web/) — the address people open, how long a login
link and an idle session last, and the key that signs the session cookies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from bot.settings.secrets import Secret

__all__ = ["WebSettings"]


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True  # false: no dashboard under /, no 管理后台 links (the callbacks are served all the same)
    base_url: str = ""  # what people open, e.g. https://dj.example.com; "" -> http://{server.host}:{server.port}
    link_minutes: int = Field(default=10, ge=1, le=24 * 60)  # a login link is valid this long, and once
    idle_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)  # a session ends after this long unused
    # signs the session cookies; "" -> a random key kept in the database, so sessions survive a restart and every
    # instance on the same database shares it. Never logged.
    secret: Secret = SecretStr("")

    @field_validator("base_url")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("应为 http:// 或 https:// 开头的网址，例如 https://dangjian.example.com；"
                             "留空则用 server 的地址")
        return value

    def address(self, host: str, port: int) -> str:
        """The dashboard's address as people open it (no trailing slash)."""
        if self.base_url:
            return self.base_url
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"
