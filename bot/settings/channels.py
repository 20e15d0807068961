"""studybot.yaml's platform sections (server, WeCom, the Official Account, DingTalk) and how their secrets are read:
`env:NAME` from the environment, never from the file."""

from __future__ import annotations

import base64
import binascii
import string
from collections.abc import Callable
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr
from pydantic_core import PydanticCustomError

from bot.settings.secrets import Plain, Secret

__all__ = ["ServerSettings", "WeComSettings", "WeComRobotSettings", "WeComAppSettings", "WeChatMPSettings",
           "LinkTemplateSettings", "DingTalkSettings", "DingTalkRobotWebhook"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _aes_key(value: SecretStr) -> SecretStr:
    """The platforms give a 43-character EncodingAESKey; one pasted short or with a stray character would pass here
    and fail only when the channel starts. The error does not repeat it: it is a secret."""
    key = value.get_secret_value()
    try:
        ok = len(key) == 43 and len(base64.b64decode(key + "=", validate=True)) == 32
    except (binascii.Error, ValueError):  # not Base64, or not ASCII at all
        ok = False
    if not ok:
        found = f"现为 {len(key)} 个字符" if len(key) != 43 else "其中有 Base64 以外的字符"
        raise PydanticCustomError("secret_shape", "应为 43 个字符的 EncodingAESKey（Base64，解码后 32 字节），"
                                  "{found}，请从后台重新复制", {"found": found})
    return value


def _url(scheme: str) -> Callable[[str], str]:
    """An address the channel will connect to: `scheme`:// (or its plain twin, for a local fake or proxy) and a host;
    anything else would fail at the first request with a traceback, not at start with the key path."""
    schemes = (scheme, scheme.removesuffix("s"))

    def check(value: str) -> str:
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 - reading it checks the port's range
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in schemes or not parts.hostname or any(c.isspace() for c in value):
            raise ValueError(f"应为 {schemes[0]}:// 或 {schemes[1]}:// 开头的网址（删去此项则用默认地址）")
        return value

    return check


AesKey = Annotated[Secret, AfterValidator(_aes_key)]
HttpUrl = Annotated[str, AfterValidator(_url("https"))]
WsUrl = Annotated[str, AfterValidator(_url("wss"))]


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)


class WeComRobotSettings(_Section):
    mode: Literal["websocket", "callback"] = "websocket"
    bot_id: Plain = ""
    secret: Secret | None = None  # long connection
    ws_url: WsUrl = "wss://openws.work.weixin.qq.com"
    token: Secret | None = None  # HTTP callback
    encoding_aes_key: AesKey | None = None


class WeComAppSettings(_Section):
    agent_id: int
    secret: Secret
    token: Secret
    encoding_aes_key: AesKey


class WeComSettings(_Section):
    corp_id: Plain = ""
    api_base_url: HttpUrl = "https://qyapi.weixin.qq.com"
    # the dashboard's logins (web.wecom_login): 网页授权 inside WeCom, 扫码登录 in a browser
    oauth_url: HttpUrl = "https://open.weixin.qq.com"
    sso_url: HttpUrl = "https://login.work.weixin.qq.com"
    robot: WeComRobotSettings | None = None
    app: WeComAppSettings | None = None
    webhooks: dict[str, Secret] = {}  # group name -> 消息推送 webhook key


TEMPLATE_VALUES = ("title", "text", "time")


def _template_fields(value: dict[str, str]) -> dict[str, str]:
    """Each field's fill may name only {title}, {text} and {time}: any other name would fail every send."""
    if not value:
        raise ValueError("至少填写一个字段，例如 thing1: \"{title}\"")
    for name, fill in value.items():
        if not name.isascii() or not name.replace("_", "").isalnum():
            raise ValueError(f"字段名「{name}」应为模板详情里 {{{{ }}}} 中 .DATA 之前的部分，例如 thing1")
        try:
            used = {part[1] for part in string.Formatter().parse(fill) if part[1] is not None}
        except ValueError:
            used = {"?"}
        if not used <= set(TEMPLATE_VALUES):
            raise ValueError(f"字段 {name} 的内容「{fill}」只能用 {{title}}（标题）、{{text}}（说明）、{{time}}（时间）"
                             "和文字")
    return value


class LinkTemplateSettings(_Section):
    """模板消息: a push with a link (a contest's page, the members' pages) reaches bound members as this template."""
    template_id: Plain  # 公众号后台「模板消息」→「我的模板」中的模板 ID
    # 模板的字段 → 填入的内容：{title} 标题（消息第一行）、{text} 说明、{time} 发送时间；每项最多 20 字
    fields: Annotated[dict[str, str], AfterValidator(_template_fields)] = {
        "thing1": "{title}", "thing2": "{text}", "time3": "{time}"}


class WeChatMPSettings(_Section):
    app_id: Plain
    app_secret: Secret
    token: Secret
    encoding_aes_key: AesKey | None = None  # safe mode when set: encrypted callbacks only
    # 兼容模式: with encoding_aes_key, take plaintext callbacks too (their signature does not cover the body)
    accept_plaintext: bool = False
    api_base_url: HttpUrl = "https://api.weixin.qq.com"
    # the members' pages (/h5/): 网页授权 (snsapi_base) inside WeChat sends the member to this host's authorize page
    oauth_url: HttpUrl = "https://open.weixin.qq.com"
    # 模板消息：填写后，竞赛开始时支部的已绑定成员收到带链接的模板消息，绑定申请的结果也这样告知；不填则不发竞赛链接，
    # 绑定结果以客服消息发送（成员 48 小时内给公众号发过消息才能收到）
    link_template: LinkTemplateSettings | None = None


class DingTalkRobotWebhook(_Section):
    access_token: Secret  # 自定义机器人 webhook 地址中 access_token= 后面的部分
    secret: Secret | None = None  # 安全设置「加签」的密钥（SEC 开头）


class DingTalkSettings(_Section):
    client_id: Plain  # 钉钉开放平台 → 应用 → 凭证与基础信息 → Client ID (AppKey)
    client_secret: Secret
    openapi_endpoint: HttpUrl = "https://api.dingtalk.com"
    card_template_id: Plain = ""  # 卡片平台的模板 ID；不填则题目以文字发送
    webhooks: dict[str, DingTalkRobotWebhook] = {}  # 群名或 openConversationId -> 自定义机器人
    webhook_base_url: HttpUrl = "https://oapi.dingtalk.com"
    # 开放接口每月调用额度（标准版 5000 次）：用到 80% 提醒管理员，90% 起题目改发文字
    quota_per_month: int = Field(default=5000, ge=100)
    # the dashboard's logins (web.dingtalk_login): 免登 inside DingTalk needs the organisation's CorpId (开发者后台 →
    # 基础信息); without it the in-client login takes the 扫码/授权 page too. topapi lives on oapi_base_url.
    corp_id: Plain = ""
    oapi_base_url: HttpUrl = "https://oapi.dingtalk.com"
    login_url: HttpUrl = "https://login.dingtalk.com"
