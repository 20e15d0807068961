"""学习, 搜索, 已学, 推送计划, 安排推送, 取消推送."""

from __future__ import annotations

from collections.abc import Callable

from bot.messages import Outgoing
from bot.router import Command
from bot.services.context import Context
from bot.services.pushes import PushService
from bot.services.study import StudyService
from bot.storage.branches import groups_of_branch

__all__ = ["study_commands", "glued"]


def glued(ctx: Context, word_len: int) -> bool:
    """「学习二十大精神」 is chatter that starts with a command word, not 「学习 资料」."""
    text = ctx.incoming.text.strip()
    return len(text) > word_len and not text[word_len].isspace()


def study_commands(study: StudyService, pushes: PushService,
                   after_commit: Callable[[Context, Callable[[], str]], str]) -> list[Command]:
    def learn(ctx: Context) -> list[Outgoing]:
        ref = " ".join(ctx.args) or None
        if ref and glued(ctx, 2) and study.library.get(ref) is None:
            return []
        return study.show(ctx, ref)

    def search(ctx: Context) -> list[Outgoing]:
        return study.search(ctx, " ".join(ctx.args))

    def read(ctx: Context) -> list[Outgoing]:
        return study.mark_read(ctx, " ".join(ctx.args) or None)

    def plan(ctx: Context) -> list[Outgoing]:
        return pushes.list_text(ctx)

    def arrange(ctx: Context) -> list[Outgoing]:
        if ctx.branch_id is None:  # stored, it would reach no group
            return [ctx.reply("请在本支部的群里安排推送，机器人才知道推送给哪个支部的群。")]
        groups = [g.name for g in groups_of_branch(session=ctx.session, branch_id=ctx.branch_id)]
        row, text = pushes.arrange(ctx.session, branch_id=ctx.branch_id, args=ctx.args, by=ctx.member.name,
                                   groups=groups)
        if row is None:
            return [ctx.reply(text)]
        note = after_commit(ctx, lambda: pushes.activate(row))
        return [ctx.reply(f"{text}{note}")]

    def cancel(ctx: Context) -> list[Outgoing]:
        return [ctx.reply(pushes.cancel(ctx.session, branch_id=ctx.branch_id, any_branch=ctx.member.is_admin,
                                        number=ctx.args[0] if ctx.args else ""))]

    return [
        Command(("学习", "/study"), learn, "查看今天的学习内容，或按标题阅读", "学习"),
        Command(("搜索", "查找", "/search"), search, "按关键词查找学习资料", "搜索 三会一课"),
        Command(("已学", "学完了", "/read"), read, "记录已学习最近推送的资料，得积分", "已学"),
        Command(("推送计划", "学习计划"), plan, "查看本支部接下来的学习推送", "推送计划"),
        Command(("安排推送",), arrange, "（书记、委员）安排学习推送", "安排推送 三会一课制度要点 每周一 09:00",
                role="manager", action="安排学习推送"),
        Command(("取消推送",), cancel, "（书记、委员）取消一项推送安排", "取消推送 3", role="manager",
                action="取消学习推送"),
    ]
