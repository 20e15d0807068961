"""帮助: every command with an example."""

from __future__ import annotations

from bot.messages import Outgoing
from bot.router import Command
from bot.services.context import Context

__all__ = ["help_command"]


def help_command(commands: list[Command], bot_name: str) -> Command:
    def show(ctx: Context) -> list[Outgoing]:
        lines = [f"👋 我是{bot_name}，可以发送以下命令："]
        for command in commands:  # the help command itself is appended to this list by build_app
            lines.append(f"· {command.words[0]} —— {command.summary}，例：{command.example}")
        lines.append("竞赛进行中，直接回复选项字母（如 A、AC）、对/错或填空答案即可作答。")
        return [ctx.reply("\n".join(lines))]

    help_cmd = Command(("帮助", "菜单", "/help", "help"), show, "查看全部命令", "帮助")
    return help_cmd
