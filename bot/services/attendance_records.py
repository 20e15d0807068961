"""补记 and the attendance audit trail: a 书记 or 委员 (in chat) or an administrator (`studybot meetings attend`)
records after a meeting has started who was present, on leave (请假), there as an observer (列席), or absent (a
wrong sign-in corrected). Every change is logged (bot/storage/attendance_log.py); points for attending are given
once per member and meeting, under the sign-in's own ledger source, and taken back by a negative entry when a
presence is corrected away."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.services.attendance_names import Roster, split_names
from bot.services.expected import expected_for
from bot.services.meetings import MeetingService, short_time
from bot.services.numbers import parse_number
from bot.services.points_notes import gained_text
from bot.storage.attendance_log import attendance_of, changes_of, set_attendance
from bot.storage.meetings import meetings_held_by
from bot.storage.models import Branch, MeetingRow
from bot.storage.models_records import ATTENDANCE_STATUSES
from bot.storage.points import award_points, points_held, reverse_points
from scheduler.points import Cap

__all__ = ["STATUS_WORDS", "CLI_STATUSES", "status_label", "Outcome", "RecordWording", "CHAT_RECORDS",
           "AttendanceRecords"]

# the word after the 编号 in 「补记 3 列席 王五」; "" is absent (no attendance row)
STATUS_WORDS = {"出席": "present", "到会": "present", "列席": "observer", "请假": "leave", "缺席": "",
                "未到": ""}
CLI_STATUSES = {"present": "present", "leave": "leave", "observer": "observer", "absent": ""}
POINTS_REASON = "meeting"  # the sign-in's ledger reason; its source is 「会议编号:党员编号」


def status_label(status: str) -> str:
    return ATTENDANCE_STATUSES.get(status, "缺席")


@dataclass(frozen=True)
class Outcome:
    """A reply, and how it ended: 0 recorded (or already so), 1 no such meeting, 2 refused (nothing changed)."""
    text: str
    code: int = 0


@dataclass(frozen=True)
class RecordWording:
    whose: str  # whose meeting a number must be: 「本支部」 in chat, "" on the command line (any branch)
    usage: str
    listing: str  # where the meetings' numbers are


CHAT_RECORDS = RecordWording(
    whose="本支部",
    usage="格式：补记 编号 姓名…，例如：补记 3 张三 李四；还可以写：补记 3 请假 李四 出差、补记 3 列席 王五、"
          "补记 3 缺席 张三（更正误签）。",
    listing="")


class AttendanceRecords:
    def __init__(self, meetings: MeetingService, bodies: Mapping[str, Sequence[str]] | None = None,
                 cap: Cap | None = None) -> None:
        self._meetings, self._bodies = meetings, dict(bodies or {})  # bodies: meetings.groups (中心组 …)
        self._cap = cap  # points.caps's 组织生活

    # ----- finding the meeting -----

    def meeting(self, session: Session, number: int, *, branch_id: int | None, any_branch: bool,
                wording: RecordWording) -> MeetingRow | Outcome:
        row = session.get(MeetingRow, number)
        if row is None:
            return Outcome(f"{wording.whose}没有编号为 {number} 的会议。{self._listing(session, branch_id, wording)}",
                           1)
        if row.branch_id != branch_id and not any_branch:
            other = session.get(Branch, row.branch_id)
            return Outcome(f"编号 {number} 的会议是{other.name if other else '其他支部'}的，"
                           f"您只能补记{wording.whose}的会议。{self._listing(session, branch_id, wording)}", 2)
        if row.cancelled_at is not None:
            return Outcome(f"编号 {number} 的{self._meetings.type_of(row.type_key).name}已取消，不需要补记。", 2)
        return row

    def _listing(self, session: Session, branch_id: int | None, wording: RecordWording) -> str:
        if wording.listing or branch_id is None:
            return wording.listing
        recent = meetings_held_by(session=session, branch_id=branch_id, until=self._meetings.now())[-3:]
        if not recent:
            return "本支部还没有已开始的会议。"
        return "本支部最近的会议：\n" + "\n".join(self._meetings.line(r) for r in reversed(recent))

    # ----- 补记 in chat -----

    def record_chat(self, session: Session, *, args: list[str], by: str, branch_id: int | None,
                    any_branch: bool) -> str:
        """补记 编号 [出席|列席|请假|缺席] 姓名… [原因]."""
        number = parse_number(args[0]) if args else None
        if number is None or len(args) < 2:
            return f"{CHAT_RECORDS.usage}\n{self._listing(session, branch_id, CHAT_RECORDS)}".rstrip()
        found = self.meeting(session, number, branch_id=branch_id, any_branch=any_branch, wording=CHAT_RECORDS)
        if isinstance(found, Outcome):
            return found.text
        status = STATUS_WORDS.get(args[1], "present")
        words = args[2:] if args[1] in STATUS_WORDS else args[1:]
        if not words:
            return CHAT_RECORDS.usage
        roster = Roster.of(session, found.branch_id)
        names, reason = split_names(words), ""
        if status in ("leave", ""):  # 「补记 3 请假 李四 王五 出差」: the names, then the reason
            count = next((i for i, word in enumerate(words)
                          if i and not all(roster.knows(name) for name in split_names([word]))), len(words))
            names, reason = split_names(words[:count]), " ".join(words[count:])
        return self.record(session, found, names=names, status=status, reason=reason, by=by, roster=roster).text

    # ----- 补记 (chat and command line) -----

    def record(self, session: Session, meeting: MeetingRow, *, names: list[str], status: str, reason: str, by: str,
               roster: Roster | None = None) -> Outcome:
        """Record `names` as `status` at `meeting` ("" = absent) with `reason`, by `by` (a member's name or
        命令行); refused, with nothing changed, when any name is unknown or the meeting has not started."""
        now = self._meetings.now()
        kind = self._meetings.type_of(meeting.type_key)
        title = f"{kind.name}（编号 {meeting.id}，{short_time(meeting.start_at)}）"
        if meeting.start_at > now:
            return Outcome(f"{title}还没有开始，开始后才能补记。会前请假由本人发送「请假 {meeting.id} 原因」。", 2)
        if status == "leave" and not reason:
            return Outcome(f"请写明请假原因，例如：补记 {meeting.id} 请假 {names[0] if names else '李四'} 出差", 2)
        if not names:
            return Outcome("请写要补记的党员姓名。", 2)
        roster = roster or Roster.of(session, meeting.branch_id)
        members, problem = roster.resolve(names, anywhere=status == "observer")
        if problem:
            return Outcome(problem, 2)
        before = attendance_of(session=session, meeting_id=meeting.id, member_ids=[m.id for m in members])
        # 出席 of someone the meeting does not expect (a 支委会's ordinary member) is 列席, as their 签到 would be
        expected = {m.id for m in expected_for(session, meeting, kind=kind, now=now, bodies=self._bodies)}
        lines, same = [], []
        for member in members:
            assert member.id is not None and meeting.id is not None
            old = before.get(member.id)
            old_status, old_reason = (old.status, old.reason) if old is not None else ("", "")
            given = "observer" if status == "present" and member.id not in expected else status
            change = set_attendance(session=session, meeting_id=meeting.id, member_id=member.id, status=given,
                                    reason=reason, recorded_by=by, changed_by=by, now=now)
            if change is None:
                same.append(member.name)
                continue
            points = self._points(session, meeting.id, member.id, kind.points if given == "present" else 0,
                                  change_id=change.id or 0, now=now, cap=self._cap,
                                  note=f"{kind.name}（{short_time(meeting.start_at)}）")
            was = status_label(old_status) + (f"，原因：{old_reason}" if old_reason and old_status == given else "")
            not_expected = "；不在本次会议应到人员中，记为列席，不计积分" if given != status else ""
            lines.append(f"· {member.name}：{status_label(given)}（原为{was}{not_expected}）"
                         + (f"，原因：{reason}" if reason else "") + points)
        kept = f"{'、'.join(same)} 已记为{status_label(status)}，没有改动。" if same else ""
        if not lines:
            return Outcome(kept)
        return Outcome(f"✅ 已补记{title}：\n" + "\n".join(lines) + (f"\n{kept}" if kept else ""))

    @staticmethod
    def _points(session: Session, meeting_id: int, member_id: int, due: int, *, change_id: int, now: datetime,
                cap: Cap | None, note: str) -> str:
        """Make the ledger hold `due` points for this attendance (0: none): given once under the sign-in's source
        (so a sign-in and a 补记 never both pay), taken back with a negative entry. What the reply says of it."""
        source = f"{meeting_id}:{member_id}"
        held, entries = points_held(session=session, reason=POINTS_REASON, source=source)
        if due and held <= 0:
            award = award_points(session=session, member_id=member_id, amount=due, reason=POINTS_REASON,
                                 source=f"{source}:{change_id}" if entries else source, now=now, cap=cap,
                                 note=f"补记出席：{note}")
            return gained_text(award)
        if not due and held > 0:
            taken = reverse_points(session=session, member_id=member_id, reason=POINTS_REASON, source=source,
                                   undo_source=f"{source}:{change_id}", note=f"补记更正：{note}")
            return f"，扣回 {taken} 分"
        return ""

    # ----- the audit trail -----

    def history(self, session: Session, meeting: MeetingRow) -> str:
        kind = self._meetings.type_of(meeting.type_key)
        branch = session.get(Branch, meeting.branch_id)
        title = f"{branch.name if branch else ''} {kind.name}（编号 {meeting.id}，{short_time(meeting.start_at)}）"
        changes = changes_of(session=session, meeting_id=meeting.id or 0)
        if not changes:
            return f"{title}还没有出勤记录。"
        lines = [f"{title}出勤变更记录（{len(changes)} 条）："]
        for change, name in changes:
            why = f"{change.reason}，" if change.reason else ""
            lines.append(f"{change.changed_at:%Y-%m-%d %H:%M} {name}：{status_label(change.old_status)} → "
                         f"{status_label(change.new_status)}（{why}{change.changed_by}）")
        return "\n".join(lines)
