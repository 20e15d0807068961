"""`studybot meetings attend`: the administrators' 补记, for a meeting of any branch, and the attendance audit trail
(`--history`)."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli.common import ConfigOption, clock_of, fail, open_app
from bot.services.attendance_names import split_names
from bot.services.attendance_records import CLI_STATUSES, STATUS_WORDS, AttendanceRecords, Outcome, RecordWording
from bot.services.numbers import parse_number

__all__ = ["meetings_attend"]

ON_THE_COMMAND_LINE = RecordWording(
    whose="", usage="", listing="编号见 studybot meetings list --branch 支部（已开过的会议编号见当时的安排通知）。")


def meetings_attend(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="会议编号（见 meetings list）")],
    names: Annotated[list[str] | None, typer.Argument(help="党员姓名，可写多个", show_default=False)] = None,
    status: Annotated[str, typer.Option(
        "--status", "-s",
        help="present（出席）、leave（请假）、observer（列席）或 absent（缺席：更正误签）")] = "present",
    reason: Annotated[str, typer.Option("--reason", "-r", help="原因或说明；请假必须写", show_default=False)] = "",
    history: Annotated[bool, typer.Option("--history", help="只显示这次会议的出勤变更记录")] = False,
    config: ConfigOption = None,
) -> None:
    """会后补记出席、请假、列席，或更正签到；每次变更都留有记录（--history 查看）。"""
    meeting_id = parse_number(number)
    if meeting_id is None:
        raise fail(f"会议编号应为数字，例如：studybot meetings attend 3 张三（「{number}」不是）")
    wanted = CLI_STATUSES.get(status.strip().lower(), STATUS_WORDS.get(status.strip()))
    if wanted is None:
        raise fail(f"--status「{status}」应为 present、leave、observer 或 absent")
    people = split_names(names or [])
    if not people and not history:
        raise fail(f"请写要补记的党员姓名，例如：studybot meetings attend {meeting_id} 张三 李四；"
                   f"查看变更记录：studybot meetings attend {meeting_id} --history")
    app = open_app(config, clock=clock_of(ctx))  # 「还没有开始」 is judged by the context's now
    try:
        records = AttendanceRecords(app.schedule.meetings, app.schedule.attendance.bodies,
                                    app.schedule.attendance.meeting_cap)
        with app.db.session() as session:
            found = records.meeting(session, meeting_id, branch_id=None, any_branch=True, wording=ON_THE_COMMAND_LINE)
            if isinstance(found, Outcome):
                raise fail(found.text, found.code)
            if history:
                typer.echo(records.history(session, found))
                return
            outcome = records.record(session, found, names=people, status=wanted, reason=reason.strip(),
                                     by="命令行")
            if outcome.code:
                raise fail(outcome.text, outcome.code)
            session.commit()
        typer.echo(outcome.text)
    finally:
        app.close()
