"""studybot.yaml's `web:` section: the committee's dashboard (bot/web/) — the address people open, how long a login
link and an idle session last, the key that signs the session cookies, the platform logins and embedding."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from bot.settings.secrets import Secret

__all__ = ["WebSettings", "FRAME_ANCESTORS"]

# Who may show the dashboard in an iframe when `embed` is on: WeCom's and DingTalk's web consoles and workbenches.
# Opening the dashboard inside the WeCom/DingTalk apps is not framing and needs none of this.
FRAME_ANCESTORS = ["https://work.weixin.qq.com", "https://*.dingtalk.com"]


class WebSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True  # false: no dashboard under /, no 管理后台 links (the callbacks are served all the same)
    base_url: str = ""  # what people open, e.g. https://dj.example.com; "" -> http://{server.host}:{server.port}
    link_minutes: int = Field(default=10, ge=1, le=24 * 60)  # a login link is valid this long, and once
    idle_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)  # a session ends after this long unused
    # signs the session cookies; "" -> a random key kept in the database, so sessions survive a restart and every
    # instance on the same database shares it. Never logged.
    secret: Secret = SecretStr("")
    wecom_login: bool = False  # 企业微信网页授权 + 扫码登录: needs wecom.corp_id and wecom.app (agent_id, secret)
    dingtalk_login: bool = False  # 钉钉免登 + 扫码登录: needs dingtalk.client_id/client_secret (and corp_id for 免登)
    # embed: the dashboard may be shown in an iframe by frame_ancestors (CSP frame-ancestors instead of
    # X-Frame-Options DENY); its cookies then become SameSite=None; Secure, so base_url must be https://
    embed: bool = False
    frame_ancestors: list[str] = Field(default_factory=lambda: list(FRAME_ANCESTORS))

    @field_validator("base_url")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("应为 http:// 或 https:// 开头的网址，例如 https://dangjian.example.com；"
                             "留空则用 server 的地址")
        return value

    @field_validator("frame_ancestors")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not origin.startswith("https://") or any(c in origin for c in " ;,'\"") or origin.count("/") != 2:
                raise ValueError(f"「{origin}」应为 https:// 开头的来源（协议和域名，可用 *. 通配子域名），不带路径")
        return value

    def address(self, host: str, port: int) -> str:
        """The dashboard's address as people open it (no trailing slash)."""
        if self.base_url:
            return self.base_url
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"
