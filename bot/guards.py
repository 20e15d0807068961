"""Who may use a command and where: checked once, in the dispatcher, before any handler runs, with one
refusal per case. A handler never checks a role or the kind of chat itself."""

from __future__ import annotations

from bot.router import Command
from bot.services.context import Context

__all__ = ["refusal", "MANAGERS_ONLY", "ADMINS_ONLY", "OTHER_BRANCH", "GROUP_ONLY", "PRIVATE_ONLY"]

MANAGERS_ONLY = "抱歉，只有书记、委员和管理员可以{action}。如需调整，请联系本支部书记。"
ADMINS_ONLY = "抱歉，只有管理员可以{action}。"
OTHER_BRANCH = "抱歉，这个群属于其他支部，您只能管理本支部的事务，不能在这里{action}。请在本支部的群里发送，或私聊我。"
GROUP_ONLY = "{action}需要在群里进行。{instead}"
PRIVATE_ONLY = "{name}，{action}请私聊我发送「{word}」。"


def refusal(command: Command, ctx: Context) -> str | None:
    """Why the sender may not use `command` here, or None when they may."""
    if command.where == "group" and ctx.group is None:
        return GROUP_ONLY.format(action=command.doing, instead=command.instead)
    if command.where == "private" and ctx.group is not None:
        return PRIVATE_ONLY.format(name=ctx.member.name, action=command.doing, word=command.words[0])
    if command.role == "admin" and not ctx.member.is_admin:
        return ADMINS_ONLY.format(action=command.doing)
    if command.role == "manager" and not ctx.member.is_manager:
        return MANAGERS_ONLY.format(action=command.doing)
    # a manager command acts on the branch of the group it is sent in (bot/services/context.py Context.branch_id)
    if command.role == "manager" and ctx.group is not None and not ctx.member.manages(ctx.group.branch_id):
        return OTHER_BRANCH.format(action=command.doing)
    return None
