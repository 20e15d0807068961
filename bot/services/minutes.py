"""会议记录 编号: the private dialogue through which a 书记 or 委员 records (or changes) a meeting's minutes, one
question per message: 主持人, 记录人, 议程/主题, 主要内容, 决议事项, then the whole record to 确认.

Every answer is written to the member's draft (minutes_draft) with the message, so a restart of the bot loses
nothing; meeting_minutes is written whole, only when the member confirms. While a dialogue is under way (an answer
given within IDLE), the member's private messages are its answers, commands included (bot/router.py interceptors);
only 「会议记录 …」 stays a command. A dialogue left longer than IDLE is dormant: messages go their usual way, and one
that nothing else takes, or 「会议记录 编号」 again, asks whether to 继续 or 重新开始."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from bot.messages import Outgoing
from bot.services.context import Context
from bot.services.meetings import MeetingService, aware
from bot.services.minutes_text import AGENDA, FIELD_COUNT, fields_of, question, record_lines, saved_line, shorten
from bot.services.numbers import DIGITS, parse_number
from bot.storage.meetings import meetings_held_by
from bot.storage.minutes import (
    MINUTES_FIELDS,
    attended_counts,
    draft_of,
    drop_draft,
    minuted,
    minutes_of,
    put_draft,
    save_minutes,
)
from bot.storage.models import MeetingRow
from bot.storage.models_records import MinutesDraft
from scheduler.meetings import when_text
from scheduler.meetings.quota import verbs
from scheduler.meetings.records import meeting_status, status_name

__all__ = ["MinutesService", "DraftState", "IDLE", "COMMAND_WORD"]

IDLE = timedelta(hours=1)
COMMAND_WORD = "会议记录"
CANCEL, SKIP, SAME, CONFIRM, GO_ON, RESTART, EDIT = "取消", "跳过", "同上", "确认", "继续", "重新开始", "修改"
NAME_SIZE = 100  # 主持人 and 记录人 (MinutesRow.chair, .recorder)
_COMMAND = re.compile(rf"{COMMAND_WORD}\s*[{DIGITS}]*")
USAGE = "格式：会议记录 编号，例如：会议记录 3（编号见「会议」和会议通知）。"


@dataclass
class DraftState:
    """A draft's answers (minutes_draft.answers, as JSON); its step is the draft row's."""
    fields: dict[str, str] = field(default_factory=dict)
    prefill: dict[str, str] = field(default_factory=dict)  # what 「同上」 keeps: the record being changed
    editing: bool = False  # changing a saved record
    ask: str = ""  # "resume": 继续 or 重新开始 asked; "edit": a saved record shown, 修改 offered
    restart: int | None = None  # the meeting 重新开始 records: the one last asked for

    def dumps(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def loads(cls, text: str) -> DraftState:
        try:
            data = json.loads(text)
            return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})
        except (ValueError, TypeError, AttributeError):
            return cls()


class MinutesService:
    def __init__(self, *, meetings: MeetingService, idle: timedelta = IDLE) -> None:
        self._meetings, self._idle = meetings, idle

    # ----- 会议记录 [编号] -----

    def command(self, ctx: Context) -> list[Outgoing]:
        number = parse_number(ctx.args[0]) if len(ctx.args) == 1 else None
        if number is None:
            return [ctx.reply(self._usage(ctx))]
        row, problem = self._meeting(ctx, number)
        if row is None:
            return [ctx.reply(problem)]
        draft = draft_of(session=ctx.session, member_id=ctx.member.id)
        if draft is not None and DraftState.loads(draft.answers).ask != "edit":
            state = DraftState.loads(draft.answers)
            state.ask, state.restart = "resume", row.id
            self._keep(ctx, draft.meeting_id, draft.step, state)
            return [ctx.reply(self._resume_question(draft, row.id))]
        saved = minutes_of(session=ctx.session, meeting_id=row.id)
        if saved is None:
            return self._begin(ctx, row, self._fresh(ctx, row))
        fields = fields_of(saved)
        self._keep(ctx, row.id, 0, DraftState(prefill=fields, editing=True, ask="edit"))
        head = f"📋 会议记录 {self._meetings.line(row)}"
        return [ctx.reply("\n".join([head, *record_lines(fields), saved_line(saved),
                                     "如需修改，请回复「修改」（原记录将被替换，并记下修改人和时间）。"]))]

    def _meeting(self, ctx: Context, number: int) -> tuple[MeetingRow | None, str]:
        row = ctx.session.get(MeetingRow, number)
        if row is None:
            return None, f"没有编号为 {number} 的会议。发送「会议」查看本支部近期的会议。"
        if not ctx.member.manages(row.branch_id):
            return None, f"编号 {number} 是其他支部的会议，您只能填写本支部的会议记录。"
        if row.cancelled_at is not None:
            return None, f"编号 {number} 的会议已取消，不需要会议记录。"
        if row.start_at > ctx.now:
            return None, (f"编号 {number} 的{self._meetings.type_of(row.type_key).name}还没有开始"
                          f"（{when_text(aware(row.start_at))}{verbs(row.type_key)[0]}），会议开始后才能填写会议记录。")
        return row, ""

    def _usage(self, ctx: Context) -> str:
        """The usage, and the branch's latest meetings with whether each is recorded."""
        if ctx.member.branch_id is None:
            return USAGE
        rows = meetings_held_by(session=ctx.session, branch_id=ctx.member.branch_id, until=ctx.now)[-5:]
        if not rows:
            return USAGE
        ids = [row.id for row in rows if row.id is not None]
        counts, done = attended_counts(session=ctx.session, meeting_ids=ids), minuted(session=ctx.session,
                                                                                       meeting_ids=ids)
        lines = []
        for row in rows:
            status = meeting_status(row.start_at, ctx.now, has_minutes=row.id in done,
                                    attended=counts.get(row.id or 0, 0))
            lines.append(f"{self._meetings.line(row)}：{status_name(status, verbs(row.type_key)[0])}"
                         + ("，已有会议记录" if row.id in done else ""))
        return USAGE + "\n本支部最近的会议：\n" + "\n".join(lines)

    def _fresh(self, ctx: Context, row: MeetingRow) -> DraftState:
        """A dialogue from the start: a saved record's text is offered to keep (同上)."""
        saved = minutes_of(session=ctx.session, meeting_id=row.id or 0)
        if saved is None:
            return DraftState()
        return DraftState(prefill=fields_of(saved), editing=True)

    def _begin(self, ctx: Context, row: MeetingRow, state: DraftState) -> list[Outgoing]:
        state.fields, state.ask, state.restart = {}, "", None
        self._keep(ctx, row.id or 0, 0, state)
        doing = "修改" if state.editing else "填写"
        return [ctx.reply(f"📝 开始{doing}会议记录：{self._meetings.line(row)}\n共 {FIELD_COUNT} 项，每条消息回答一项；"
                          f"回复「取消」放弃{'修改' if state.editing else '（不会保存）'}。\n\n"
                          + question(0, state.prefill, row.topic))]

    def _keep(self, ctx: Context, meeting_id: int, step: int, state: DraftState) -> None:
        put_draft(session=ctx.session, member_id=ctx.member.id, meeting_id=meeting_id, step=step,
                  answers=state.dumps(), now=ctx.now)

    def _resume_question(self, draft: MinutesDraft, asked: int) -> str:
        restart = "从头填写" if asked == draft.meeting_id else f"放弃它，开始填写编号 {asked} 的会议记录"
        return (f"您有一份尚未完成的会议记录（编号 {draft.meeting_id}，已填 {min(draft.step, FIELD_COUNT)}/"
                f"{FIELD_COUNT} 项）。\n回复「继续」接着填写，回复「重新开始」{restart}，回复「取消」放弃。")

    # ----- the answers -----

    def intercept(self, ctx: Context) -> list[Outgoing] | None:
        """A private message while the member's dialogue is under way: its answer (before any command)."""
        if ctx.group is not None or ctx.incoming.button is not None or _COMMAND.fullmatch(ctx.incoming.text.strip()):
            return None  # 「会议记录 编号」 again: the command asks whether to continue
        draft = draft_of(session=ctx.session, member_id=ctx.member.id)
        if draft is None or ctx.now - draft.updated_at > self._idle:
            return None
        return self._answer(ctx, draft, DraftState.loads(draft.answers))

    def dormant(self, ctx: Context) -> list[Outgoing] | None:
        """A private message nothing else took, from a member whose dialogue was left: 继续, 重新开始 or 取消
        answer it, anything else is told it waits."""
        if ctx.group is not None or ctx.incoming.button is not None:
            return None
        draft = draft_of(session=ctx.session, member_id=ctx.member.id)
        if draft is None:
            return None
        state = DraftState.loads(draft.answers)
        row = ctx.session.get(MeetingRow, draft.meeting_id)
        if state.ask == "edit" or row is None or row.cancelled_at is not None:
            drop_draft(session=ctx.session, member_id=ctx.member.id)  # a record shown long ago; a meeting cancelled
            return None
        state.ask, state.restart = "resume", state.restart or draft.meeting_id
        if ctx.incoming.text.strip() in (GO_ON, RESTART, CANCEL):
            return self._answer(ctx, draft, state)
        self._keep(ctx, draft.meeting_id, draft.step, state)
        return [ctx.reply(self._resume_question(draft, state.restart))]

    def _answer(self, ctx: Context, draft: MinutesDraft, state: DraftState) -> list[Outgoing] | None:
        text = ctx.incoming.text.strip()
        row = ctx.session.get(MeetingRow, draft.meeting_id)
        if row is None or row.cancelled_at is not None:
            drop_draft(session=ctx.session, member_id=ctx.member.id)
            return [ctx.reply(f"编号 {draft.meeting_id} 的会议已取消，未完成的会议记录已作废。")]
        if state.ask == "edit":
            if text == EDIT:
                return self._begin(ctx, row, state)
            drop_draft(session=ctx.session, member_id=ctx.member.id)  # not taken up: the message goes its way
            return None
        if text == CANCEL:
            drop_draft(session=ctx.session, member_id=ctx.member.id)
            return [ctx.reply("已取消修改，原会议记录保持不变。" if state.editing else "已取消，会议记录没有保存。")]
        if text == RESTART:
            target, problem = self._meeting(ctx, state.restart or row.id or 0)
            if target is None:
                return [ctx.reply(problem)]
            return self._begin(ctx, target, self._fresh(ctx, target))
        if state.ask == "resume":
            if text != GO_ON:
                return None  # neither 继续 nor 重新开始: not the dialogue's (a dormant one asks again)
            state.ask, state.restart = "", None
            self._keep(ctx, row.id or 0, draft.step, state)
            return [ctx.reply(f"好的，接着填写编号 {row.id} 的会议记录。\n\n" + self._prompt(draft.step, state, row))]
        step = draft.step
        if step >= FIELD_COUNT:
            return self._confirm(ctx, state, row, text)
        value, note = self._value(step, state, row, text)
        if value is None:
            return [ctx.reply(note)]
        state.fields[MINUTES_FIELDS[step][0]] = value
        self._keep(ctx, row.id or 0, step + 1, state)
        return [ctx.reply(f"{note}\n\n{self._prompt(step + 1, state, row)}")]

    def _value(self, step: int, state: DraftState, row: MeetingRow, text: str) -> tuple[str | None, str]:
        """The field's value from the answer (None: asked again), and what the member is told about it."""
        key, label = MINUTES_FIELDS[step]
        if text == SKIP:
            if step == AGENDA and row.topic:
                return row.topic, f"✔ {label}沿用会议主题：{shorten(row.topic)}"
            return "", f"✔ {label}留空。"
        if text == SAME:
            kept = state.prefill.get(key) or (row.topic if step == AGENDA else "")
            if not kept:
                return None, f"这一项没有可沿用的内容。请直接回复{label}，或回复「跳过」留空。"
            return kept, f"✔ {label}保留：{shorten(kept)}"
        if key in ("chair", "recorder") and len(text) > NAME_SIZE:
            return None, f"{label}最多 {NAME_SIZE} 个字，请重新回复。"
        return text, f"✔ {label}：{shorten(text)}"

    def _prompt(self, step: int, state: DraftState, row: MeetingRow) -> str:
        if step < FIELD_COUNT:
            return question(step, state.prefill, row.topic)
        return "\n".join([f"请核对会议记录 {self._meetings.line(row)}", *record_lines(state.fields),
                          "回复「确认」保存，回复「重新开始」从头填写，回复「取消」放弃。"])

    def _confirm(self, ctx: Context, state: DraftState, row: MeetingRow, text: str) -> list[Outgoing]:
        if text != CONFIRM:
            return [ctx.reply("请回复「确认」保存这份会议记录，或回复「重新开始」从头填写、「取消」放弃。")]
        save_minutes(session=ctx.session, meeting_id=row.id or 0, fields=state.fields, by=ctx.member.name, now=ctx.now)
        drop_draft(session=ctx.session, member_id=ctx.member.id)
        done = "已更新" if state.editing else "已保存"
        return [ctx.reply(f"✅ {done}编号 {row.id} 的会议记录，这次{self._meetings.type_of(row.type_key).name}"
                          f"计为已{verbs(row.type_key)[0]}。发送「会议记录 {row.id}」可查看或修改。")]
