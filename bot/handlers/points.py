"""加分, 扣分, 同意, 不同意, 撤回, 撤销, 待审积分: points by hand (bot/services/manual_points.py has the rules)."""

from __future__ import annotations

from collections.abc import Callable

from bot.handlers.study import glued
from bot.messages import Outgoing
from bot.router import Command
from bot.services.context import Context
from bot.services.manual_points import ManualPoints, Outcome
from bot.services.manual_points_text import MANUAL_WORDS
from bot.services.numbers import parse_number

__all__ = ["manual_points_commands"]


def _numbered_chatter(ctx: Context) -> bool:
    """「同意」「同意楼上」 without an 编号 are talk, unless a 支委 says it to the bot privately (then: its use)."""
    numbered = bool(ctx.args) and parse_number(ctx.args[0]) is not None
    return not numbered and (ctx.group is not None or not ctx.member.is_manager)


def _entry_chatter(word_len: int) -> Callable[[Context], bool]:
    """「加分项有哪些」 is talk; a 支委's 「加分」 alone gets the format."""
    def chatter(ctx: Context) -> bool:
        if not ctx.member.is_manager:
            return glued(ctx, word_len) or not ctx.args
        return glued(ctx, word_len) and len(ctx.args) < 2
    return chatter


def manual_points_commands(service: ManualPoints) -> list[Command]:
    def reply(ctx: Context, outcome: Outcome) -> list[Outgoing]:
        return [ctx.reply(outcome.text)]

    def entry(deduct: bool) -> Callable[[Context], list[Outgoing]]:
        def handle(ctx: Context) -> list[Outgoing]:
            return reply(ctx, service.enter(ctx.session, ctx.member, ctx.args, deduct=deduct, scope=ctx.branch_id,
                                            now=ctx.now))
        return handle

    def number(ctx: Context) -> str:
        return ctx.args[0] if ctx.args else ""

    def why(ctx: Context) -> str:
        return " ".join(ctx.args[1:]).strip()

    def approve(ctx: Context) -> list[Outgoing]:
        return reply(ctx, service.approve(ctx.session, ctx.member, number(ctx), now=ctx.now))

    def reject(ctx: Context) -> list[Outgoing]:
        return reply(ctx, service.reject(ctx.session, ctx.member, number(ctx), why(ctx), now=ctx.now))

    def withdraw(ctx: Context) -> list[Outgoing]:
        return reply(ctx, service.withdraw(ctx.session, ctx.member, number(ctx), now=ctx.now))

    def reverse(ctx: Context) -> list[Outgoing]:
        return reply(ctx, service.reverse(ctx.session, ctx.member, number(ctx), why(ctx), now=ctx.now))

    def pending(ctx: Context) -> list[Outgoing]:
        # a 管理员 asking privately sees every branch's; in a group, that group's branch's
        everywhere = ctx.member.is_admin and ctx.group is None
        return [ctx.reply(service.pending(ctx.session, ctx.member, None if everywhere else ctx.branch_id))]

    approval = "，经另一位支委「同意」后计入" if service.rules.approval else ""
    return [
        Command(("加分",), entry(False), f"（书记、委员）为本支部党员加分，写明类别（{MANUAL_WORDS}）和事由{approval}",
                "加分 王五 5 志愿服务 参加社区义务植树", role="manager", chatter=_entry_chatter(2)),
        Command(("扣分",), entry(True), f"（书记、委员）为本支部党员扣分，写明事由{approval}",
                "扣分 王五 2 组织生活 无故缺席支部党员大会", role="manager", chatter=_entry_chatter(2)),
        Command(("同意",), approve, "（书记、委员）同意另一位支委提出的加分、扣分，使其计入党建积分", "同意 3",
                role="manager", action="同意积分申请", chatter=_numbered_chatter),
        Command(("不同意",), reject, "（书记、委员）退回加分、扣分申请，可写理由", "不同意 3 事由不够具体",
                role="manager", action="退回积分申请", chatter=_numbered_chatter),
        Command(("撤回",), withdraw, "（书记、委员）撤回自己提出、尚未同意的加分、扣分", "撤回 3",
                role="manager", action="撤回积分申请", chatter=_numbered_chatter),
        Command(("撤销",), reverse, "（书记、委员）撤销已生效的加分、扣分：另记一笔冲减，原记录保留，须写事由",
                "撤销 3 重复记录", role="manager", action="撤销加分、扣分", chatter=_numbered_chatter),
        Command(("待审积分", "积分审核", "待同意"), pending, "（书记、委员）查看本支部待同意的加分、扣分", "待审积分",
                role="manager", action="查看待审积分"),
    ]
