"""`studybot meetings minutes ID [--file FILE]`: a meeting's 会议记录 printed, or recorded (replaced) from a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli.common import ConfigOption, clock_of, fail, open_app
from bot.services.meetings import aware
from bot.services.minutes_file import MinutesFileError, read_minutes_file
from bot.services.minutes_text import fields_of, record_lines, saved_line
from bot.services.numbers import parse_number
from bot.storage.minutes import minutes_of, save_minutes
from bot.storage.models import Branch, MeetingRow
from scheduler.meetings import when_text

__all__ = ["meetings_minutes"]

LISTING = "编号见 studybot meetings list --branch 支部。"


def meetings_minutes(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="会议编号（见 meetings list）", show_default=False)],
    file: Annotated[Path | None, typer.Option(
        "--file", help="从文件记录（已有记录时替换）：.docx、.md 或 .txt，按「## 主持人」「## 记录人」「## 议程」"
                       "「## 主要内容」「## 决议事项」分段", show_default=False)] = None,
    config: ConfigOption = None,
) -> None:
    """查看一次会议的会议记录；加 --file 从文件记录或替换。"""
    meeting_id = parse_number(number)
    if meeting_id is None:
        raise fail(f"会议编号应为数字，例如：studybot meetings minutes 3（{LISTING}）")
    fields = None
    if file is not None:
        try:
            fields = read_minutes_file(file)
        except MinutesFileError as exc:
            raise fail(f"{file}：{exc}") from None
    app = open_app(config, clock=clock_of(ctx))
    try:
        meetings, now = app.schedule.meetings, app.clock.now()
        with app.db.session() as session:
            row = session.get(MeetingRow, meeting_id)
            if row is None:
                raise fail(f"没有编号为 {meeting_id} 的会议。{LISTING}")
            if row.cancelled_at is not None:
                raise fail(f"编号 {meeting_id} 的会议已取消，不需要会议记录。")
            branch = session.get(Branch, row.branch_id)
            head = f"会议记录 {meetings.line(row)}（{branch.name if branch else ''}）"
            saved = minutes_of(session=session, meeting_id=meeting_id)
            if fields is None:
                if saved is None:
                    typer.echo(f"编号 {meeting_id} 的会议还没有会议记录。可用 --file 从文件导入，"
                               f"或由书记、委员私聊机器人发送「会议记录 {meeting_id}」填写。")
                    return
                typer.echo("\n".join([head, *record_lines(fields_of(saved)), saved_line(saved)]))
                return
            if row.start_at > now:
                raise fail(f"编号 {meeting_id} 的{meetings.type_of(row.type_key).name}还没有开始"
                           f"（{when_text(aware(row.start_at))}召开），会议开始后才能记录。")
            saved = save_minutes(session=session, meeting_id=meeting_id, fields=fields, by="命令行", now=now)
            session.commit()
            done = "已替换" if saved.recorded_at != saved.updated_at else "已保存"
            typer.echo("\n".join([f"{done}编号 {meeting_id} 的会议记录：", head, *record_lines(fields)]))
    finally:
        app.close()

