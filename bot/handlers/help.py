"""帮助: the commands by area, short enough for one chat message; 帮助 <命令> shows one command's use."""

from __future__ import annotations

from bot.messages import Outgoing
from bot.router import Command
from bot.services.context import Context

__all__ = ["help_command"]

def help_command(sections: list[tuple[str, list[Command]]], bot_name: str) -> Command:
    commands = [c for _, cs in sections for c in cs]

    def show(ctx: Context) -> list[Outgoing]:
        if ctx.args:
            wanted = ctx.args[0]
            for command in commands:
                if wanted in command.words:
                    return [ctx.reply(f"「{command.words[0]}」：{command.summary}\n例：{command.example}")]
        lines = [f"👋 我是{bot_name}，可以发送："]
        managers: list[str] = []
        admins: list[str] = []
        for area, members in sections:
            everyone = [c.words[0] for c in members if c.role == "member"]
            managers += [c.words[0] for c in members if c.role == "manager"]
            admins += [c.words[0] for c in members if c.role == "admin"]
            lines.append(f"【{area}】" + "、".join(everyone))
        if managers:
            lines.append("书记、委员还可以：" + "、".join(managers))
        if admins:
            lines.append("管理员还可以：" + "、".join(admins))
        lines.append("竞赛进行中，直接回复选项字母（如 A、AC）、对/错或填空答案即可作答。")
        lines.append("发送「帮助 命令」查看用法，例如：帮助 开始竞赛")
        return [ctx.reply("\n".join(lines))]

    return Command(("帮助", "菜单", "/help", "help"), show, "查看全部命令", "帮助")
