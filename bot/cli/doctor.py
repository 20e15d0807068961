"""`studybot doctor`: is the configuration complete, and do the platforms accept our credentials?

Each check returns a line for the admin, ✅, ⚠️ (a warning) or ❌ (a problem); nothing is sent to a group (a webhook
cannot be tested without posting to it, so its key is only checked for shape). Exit 1 when any check is ❌. The
checks of what is on this machine (banks, library, plans, calendar, meeting files) are in checks.py."""

from __future__ import annotations

import asyncio
import json
import re
import uuid

import httpx
import typer

from bot.cli.checks import Check, local_checks
from bot.cli.common import ConfigOption, clock_of, ready_app, require_database, settings_from
from bot.settings import Settings, WeChatMPSettings

__all__ = ["doctor", "Check", "run_checks"]

TIMEOUT = 5.0
_WEBHOOK_KEY = re.compile(r"^[0-9a-fA-F-]{20,64}$")
_DINGTALK_TOKEN = re.compile(r"^[0-9a-zA-Z]{20,128}$")


async def _token(url: str, params: dict[str, str], what: str) -> Check:
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            answer = (await client.get(url, params=params)).json()
    except (httpx.HTTPError, ValueError) as exc:
        return Check(False, what, f"无法连接 {url}（{type(exc).__name__}）")
    if answer.get("access_token"):
        return Check(True, what, "凭据有效，已取得 access_token")
    return Check(False, what, f"平台拒绝：errcode {answer.get('errcode')} {answer.get('errmsg', '')}".strip())


async def _robot_ws(url: str, bot_id: str, secret: str) -> Check:
    import websockets

    what = "企业微信智能机器人（长连接）"
    try:
        async with websockets.connect(url, open_timeout=TIMEOUT, close_timeout=1) as ws:
            req_id = uuid.uuid4().hex
            await ws.send(json.dumps({"cmd": "aibot_subscribe", "headers": {"req_id": req_id},
                                      "body": {"bot_id": bot_id, "secret": secret}}))
            answer = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    except (TimeoutError, OSError, ValueError, Exception) as exc:  # noqa: B014 - any failure is the answer
        return Check(False, what, f"无法连接 {url}（{type(exc).__name__}）")
    if answer.get("errcode") == 0:
        return Check(True, what, "订阅成功（检查后已断开，正在运行的实例可能因此重连一次）")
    return Check(False, what, f"订阅被拒：errcode {answer.get('errcode')} {answer.get('errmsg', '')}".strip())


async def _dingtalk_token(endpoint: str, app_key: str, app_secret: str) -> Check:
    what = "钉钉应用（Stream 机器人）"
    url = endpoint.rstrip("/") + "/v1.0/oauth2/accessToken"
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT) as client:
            response = await client.post(url, json={"appKey": app_key, "appSecret": app_secret})
            answer = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return Check(False, what, f"无法连接 {url}（{type(exc).__name__}）")
    if isinstance(answer, dict) and answer.get("accessToken"):
        return Check(True, what, "Client ID 与 Client Secret 有效，已取得 accessToken")
    code = answer.get("code", response.status_code) if isinstance(answer, dict) else response.status_code
    return Check(False, what, f"平台拒绝：{code}（请核对 dingtalk.client_id 和 client_secret）")


async def _checks(settings: Settings) -> list[Check]:
    checks: list[Check] = []
    wecom, mp = settings.wecom, settings.wechat_mp
    if wecom is None and mp is None and settings.dingtalk is None:
        return [Check(True, "渠道", "未配置企业微信、公众号或钉钉：studybot run 使用本地聊天")]
    dingtalk = settings.dingtalk
    if dingtalk is not None:
        checks.append(await _dingtalk_token(dingtalk.openapi_endpoint, dingtalk.client_id,
                                            dingtalk.client_secret.get_secret_value()))
        checks.append(Check(True, "钉钉题目卡片", f"模板 {dingtalk.card_template_id}" if dingtalk.card_template_id
                            else "未配置 card_template_id：题目以文字发送，成员 @机器人 回复选项"))
        for group, robot in dingtalk.webhooks.items():
            shape = bool(_DINGTALK_TOKEN.match(robot.access_token.get_secret_value()))
            signed = robot.secret is not None and robot.secret.get_secret_value().startswith("SEC")
            detail = ("access_token 格式正确（未实际发送）" if shape
                      else "access_token 格式不对：应为 webhook 地址中 access_token= 后面的部分")
            if shape and not signed:
                detail += "；未配置以 SEC 开头的加签密钥，请确认机器人的安全设置用的是关键词或 IP"
            checks.append(Check(shape, f"群「{group}」的钉钉自定义机器人", detail))
    if wecom is not None:
        if wecom.app is not None:
            checks.append(await _token(f"{wecom.api_base_url}/cgi-bin/gettoken",
                                       {"corpid": wecom.corp_id, "corpsecret": wecom.app.secret.get_secret_value()},
                                       "企业微信自建应用"))
        robot = wecom.robot
        if robot is not None and robot.mode == "websocket":
            checks.append(await _robot_ws(robot.ws_url, robot.bot_id, robot.secret.get_secret_value()))
        elif robot is not None:
            checks.append(Check(True, "企业微信智能机器人（回调）",
                                "回调地址 /wecom/robot；请在后台保存 URL 时确认校验通过"
                                + ("" if wecom.webhooks
                                   else "；未配置 wecom.webhooks，竞赛的揭晓和下一题无法推送到群")))
        for group, key in wecom.webhooks.items():
            shape = bool(_WEBHOOK_KEY.match(key.get_secret_value()))
            checks.append(Check(shape, f"群「{group}」的消息推送 webhook",
                                "key 格式正确（未实际发送）" if shape
                                else "key 格式不对：应为 webhook 地址中 key= 后面的部分"))
    if mp is not None:
        checks.append(await _token(f"{mp.api_base_url}/cgi-bin/token",
                                   {"grant_type": "client_credential", "appid": mp.app_id,
                                    "secret": mp.app_secret.get_secret_value()}, "微信公众号"))
        checks.append(_mp_encryption(mp))
    return checks


def _mp_encryption(mp: WeChatMPSettings) -> Check:
    """How the Official Account's callbacks are trusted: only an encrypted body is signed with its content."""
    what = "微信公众号消息加解密"
    if mp.encoding_aes_key is None:
        return Check(True, what, "明文模式：消息不加密，签名不覆盖消息内容，"
                     "截获一条尚未送达的回调即可在 5 分钟内冒充关注者发消息；"
                     "建议在公众号后台改为安全模式并配置 wechat_mp.encoding_aes_key", warn=True)
    if mp.accept_plaintext:
        return Check(True, what, "兼容模式：也接受明文消息，而明文消息的签名不覆盖内容，可被伪造；"
                     "公众号后台改为安全模式后请关闭 wechat_mp.accept_plaintext", warn=True)
    return Check(True, what, "安全模式：只接受加密且签名正确的消息")


def run_checks(settings: Settings) -> list[Check]:
    return asyncio.run(_checks(settings))


def doctor(ctx: typer.Context, config: ConfigOption = None) -> None:
    """检查配置、数据库、题库、学习资料、学习计划、工作日历和会议计划，并用配置的凭据连一次企业微信、公众号和钉钉（不会往群里发消息）。⚠️ 为提醒；有 ❌ 时退出码 1。"""  # noqa: E501 (--help text: one paragraph)
    settings = settings_from(config)
    require_database(settings)
    app = ready_app(settings, clock=clock_of(ctx))  # the calendar's "this year and next" is the context's
    try:
        checks = local_checks(app)
    finally:
        app.close()
    checks += run_checks(settings)
    for check in checks:
        typer.echo(str(check))
    if not all(check.ok for check in checks):
        raise typer.Exit(1)
