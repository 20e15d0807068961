"""管理后台: a one-time login link to the dashboard, sent only in a private chat (a link in a group would let
anyone who reads it in first)."""

from __future__ import annotations

from bot.messages import Outgoing
from bot.router import Command
from bot.services.context import Context
from bot.settings.web import WebSettings
from bot.storage.web_logins import audit, issue_login

__all__ = ["web_commands", "link_text"]


def link_text(address: str, token: str, minutes: int) -> str:
    return (f"🔐 管理后台登录链接（{minutes} 分钟内有效，仅可使用一次，请勿转发）：\n{address}/login/{token}\n"
            "用手机或电脑的浏览器打开均可。")


def web_commands(web: WebSettings, address: str) -> list[Command]:
    def link(ctx: Context) -> list[Outgoing]:
        if not web.enabled:
            return [ctx.reply("管理后台未开启（配置 web.enabled 为 false），请联系管理员。")]
        token = issue_login(session=ctx.session, member_id=ctx.member.id, now=ctx.now, minutes=web.link_minutes)
        audit(session=ctx.session, member_id=ctx.member.id, action="link", detail="私聊「管理后台」", now=ctx.now)
        return [ctx.reply(link_text(address, token, web.link_minutes))]

    return [Command(("管理后台", "登录", "/web"), link, "获取管理后台与学习答题页的登录链接，仅限私聊", "管理后台",
                    where="private", action="获取管理后台链接")]
