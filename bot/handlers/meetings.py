"""安排会议, 会议, 签到, 请假, 补记, 签到情况, 会议统计, 取消会议."""

from __future__ import annotations

from collections.abc import Callable

from bot.handlers.study import glued
from bot.messages import Outgoing
from bot.router import Command
from bot.services.attendance import AttendanceService
from bot.services.attendance_records import AttendanceRecords
from bot.services.context import Context
from bot.services.leave import LEAVE_USAGE, LeaveService
from bot.services.meetings import MeetingService
from bot.storage.attendees import party_groups_of
from scheduler.meetings import MeetingError

__all__ = ["meeting_commands"]


def meeting_commands(meetings: MeetingService, attendance: AttendanceService,
                     after_commit: Callable[[Context, Callable[[], str]], str]) -> list[Command]:
    def arrange(ctx: Context) -> list[Outgoing]:
        if ctx.branch_id is None:
            return [ctx.reply("请在本支部的群里安排会议，机器人才知道是哪个支部的会议。")]
        try:
            draft = meetings.parse(" ".join(ctx.args), party_groups_of(session=ctx.session, branch_id=ctx.branch_id))
        except MeetingError as exc:
            return [ctx.reply(str(exc))]
        row = meetings.add(ctx.session, branch_id=ctx.branch_id, draft=draft, by=ctx.member.name,
                           told=ctx.incoming.chat.chat_id if ctx.incoming.chat.is_group else None)
        after_commit(ctx, lambda: meetings.activate(row.id) or "")
        warnings = "".join(f"\n⚠️ {w}" for w in draft.warnings)
        return [ctx.reply(f"✅ 已安排{draft.type.name}（编号 {row.id}）：{meetings.line(row)}{warnings}\n"
                          "将在会前 3 天、1 天和 1 小时提醒本支部的群。")]

    def change(ctx: Context) -> list[Outgoing]:
        row, text = meetings.reschedule(ctx.session, branch_id=ctx.branch_id, any_branch=ctx.member.is_admin,
                                        args=ctx.args,
                                        told=ctx.incoming.chat.chat_id if ctx.incoming.chat.is_group else None)
        if row is not None:
            after_commit(ctx, lambda: meetings.rearm(row.id) or "")
        return [ctx.reply(text)]

    def upcoming(ctx: Context) -> list[Outgoing]:
        if glued(ctx, 2):
            return []  # 「会议室在三楼」 is chatter
        rows = meetings.upcoming(ctx.session, ctx.member.branch_id)
        if not rows:
            return [ctx.reply("本支部近期没有安排会议。书记、委员可发送："
                              "安排会议 支委会 2026-12-01 14:30 三楼会议室 主题")]
        return [ctx.reply("🗓 本支部近期会议：\n" + "\n".join(meetings.line(r) for r in rows))]

    def sign_in(ctx: Context) -> list[Outgoing]:
        if glued(ctx, 2) or ctx.args:
            return []  # 「签到了吗」 is chatter
        return [ctx.reply(attendance.sign_in(ctx.session, member_id=ctx.member.id, member_name=ctx.member.name,
                                           branch_id=ctx.member.branch_id))]

    leave, records = LeaveService(meetings), AttendanceRecords(meetings, attendance.bodies, attendance.meeting_cap)

    def ask_leave(ctx: Context) -> list[Outgoing]:
        if glued(ctx, 2):
            return []  # 「请假条怎么写」 is chatter
        if not ctx.args:
            return [ctx.reply(LEAVE_USAGE)]
        return [ctx.reply(leave.ask(ctx.session, member_id=ctx.member.id, member_name=ctx.member.name,
                                    branch_id=ctx.member.branch_id, args=ctx.args))]

    def record(ctx: Context) -> list[Outgoing]:
        return [ctx.reply(records.record_chat(ctx.session, args=ctx.args, by=ctx.member.name,
                                              branch_id=ctx.branch_id, any_branch=ctx.member.is_admin))]

    def sign_report(ctx: Context) -> list[Outgoing]:
        return [ctx.reply(attendance.signin_report(ctx.session, ctx.branch_id))]

    def stats(ctx: Context) -> list[Outgoing]:
        if glued(ctx, 4):
            return []  # 「会议统计好了吗」 is chatter
        if ctx.args:  # 「会议统计 明年」 answered with this quarter would pass for the period asked
            return [ctx.reply(f"「会议统计」显示本季度的开展情况，后面不用写「{' '.join(ctx.args)}」。"
                              "其他期间（如本年、上季度）可在命令行用 studybot meetings report "
                              "--period year 或 --date 日期 查看。")]
        return [ctx.reply(attendance.stats_text(ctx.session, ctx.member.branch_id, ctx.now.date()))]

    def cancel(ctx: Context) -> list[Outgoing]:
        return [ctx.reply(meetings.cancel(ctx.session, branch_id=ctx.branch_id, any_branch=ctx.member.is_admin,
                                          number=ctx.args[0] if ctx.args else "",
                                          told=ctx.incoming.chat.chat_id if ctx.incoming.chat.is_group else None))]

    return [
        Command(("安排会议",), arrange, "（书记、委员）安排三会一课或主题党日",
                "安排会议 支委会 2026-12-01 14:30 三楼会议室 学习二十大精神", role="manager"),
        Command(("会议", "/meetings"), upcoming, "查看本支部近期会议", "会议"),
        Command(("签到", "/signin"), sign_in, "会议期间签到，得积分", "签到"),
        Command(("请假",), ask_leave, "会前请假，写明原因（不写编号即本支部的下一次会议）", "请假 3 出差"),
        Command(("补记",), record, "（书记、委员）会后补记出席、请假、列席，或更正签到",
                "补记 3 张三 李四；补记 3 请假 李四 出差；补记 3 列席 王五；补记 3 缺席 张三", role="manager",
                action="补记出勤"),
        Command(("签到情况",), sign_report, "（书记、委员）查看谁还没有签到", "签到情况", role="manager",
                action="查看签到情况"),
        Command(("会议统计",), stats, "本季度三会一课开展情况", "会议统计"),
        Command(("修改会议", "会议改期"), change, "（书记、委员）修改会议时间、地点并通知",
                "修改会议 3 2026-12-02 09:30", role="manager"),
        Command(("取消会议",), cancel, "（书记、委员）取消会议并通知", "取消会议 3", role="manager"),
    ]
