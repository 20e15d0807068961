"""Points by hand (issue 16): a 书记 or 委员 records 加分 or 扣分 for a member of their own branch (a 管理员 for any
branch), with a 事由; where points.approval is on, the entry counts only once a different 支委 of the branch (or a
管理员) sends 同意. Every rule of it is here, for the chat and the command line alike: the handlers and the CLI only
read the words and print the reply. What counted is a ledger entry whose source names the request; a 撤销 is a
new entry, never an edit."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.guards import MANAGERS_ONLY
from bot.services.context import MemberInfo
from bot.services.manual_points_text import (
    CHAT_WORDING,
    MAX_REASON,
    Wording,
    member_note,
    read_amount,
    read_entry,
    request_line,
    what,
)
from bot.services.numbers import parse_number
from bot.storage.branches import branch_names
from bot.storage.models import Branch, Member
from bot.storage.models_points import PointsRequest
from bot.storage.outbox import Push, enqueue
from bot.storage.people import identities_of, members_of_branch
from bot.storage.points import Award
from bot.storage.requests import add_request, book_request, log_request, move_request, request_rows, undo_request
from safeio.text import plain_name
from scheduler.points import CATEGORY_LABELS, Category, PointsRules

__all__ = ["ManualPoints", "Outcome", "actor_of"]


@dataclass(frozen=True)
class Outcome:
    """A reply, and how it ended: 0 done (or done already), 1 no such 编号, 2 refused (nothing changed)."""
    text: str
    code: int = 0


def actor_of(member: Member) -> MemberInfo:
    """The 支委 a command-line `--by` names, as the chat knows its sender."""
    assert member.id is not None
    return MemberInfo(member.id, member.name, member.branch_id, member.role, rostered=True)


class ManualPoints:
    def __init__(self, rules: PointsRules) -> None:
        self.rules = rules

    # ----- 加分 / 扣分 -----

    def enter(self, session: Session, actor: MemberInfo, words: list[str], *, deduct: bool, scope: int | None,
              now: datetime, wording: Wording = CHAT_WORDING) -> Outcome:
        """加分/扣分 姓名 分值 [类别] 事由 by `actor`, for a member of the branch `scope` (a 管理员: any branch)."""
        verb = "扣分" if deduct else "加分"
        if not actor.is_manager:
            return Outcome(MANAGERS_ONLY.format(action=verb), 2)
        entry = read_entry(words, deduct=deduct, rules=self.rules, wording=wording)
        if entry.problem:
            return Outcome(entry.problem, 2)
        amount = read_amount(entry.amount, self.rules, deduct)
        if isinstance(amount, str):
            return Outcome(amount, 2)
        if len(entry.reason) > MAX_REASON:
            return Outcome(f"事由请写在 {MAX_REASON} 字以内（现有 {len(entry.reason)} 字）。", 2)
        found = self._member(session, actor, entry.name, actor.branch_id if not actor.is_admin else scope, verb)
        if isinstance(found, str):
            return Outcome(found, 2)
        assert found.id is not None and entry.category is not None
        if found.id == actor.id:
            return Outcome(f"不能为自己{verb}，请由本支部其他书记或委员提出。", 2)
        request = add_request(session=session, member_id=found.id, branch_id=found.branch_id,
                              amount=-amount if deduct else amount, category=entry.category, reason=entry.reason,
                              by_id=actor.id, now=now)
        assert request.id is not None
        if not self.rules.approval:
            move_request(session=session, request_id=request.id, old="pending", new="approved", by_id=None, now=now)
            log_request(session=session, request_id=request.id, action="approved", by_id=actor.id,
                        note="无需同意（points.approval: false）", now=now)
            effect = self._book(session, request, found, now)
            return Outcome(f"✅ 已记{verb}（编号 {request.id}）：{what(request, found.name)}，事由：{request.reason}。"
                           f"{effect}")
        return Outcome(f"📝 已提出{verb}申请（编号 {request.id}）：{what(request, found.name)}，"
                       f"事由：{request.reason}。\n"
                       f"需本支部另一位书记或委员{wording.approve.format(id=request.id)}后计入党建积分；"
                       f"待同意的申请{wording.listing}。")

    # ----- 同意 / 不同意 / 撤回 / 撤销 -----

    def approve(self, session: Session, actor: MemberInfo, number: str, *, now: datetime,
                wording: Wording = CHAT_WORDING) -> Outcome:
        found = self._request(session, actor, number, "同意", wording)
        if isinstance(found, Outcome):
            return found
        if found.status != "pending":  # a retried 同意 finds it approved: nothing is booked twice
            return self._decided(session, found, "同意", done=found.status == "approved"
                                 and found.decided_by == actor.id)
        if found.requested_by == actor.id:
            return Outcome(f"编号 {found.id} 是您提出的，需由本支部另一位书记或委员同意。", 2)
        if found.member_id == actor.id:
            return Outcome(f"编号 {found.id} 是给您本人的，需由本支部其他书记或委员同意。", 2)
        assert found.id is not None
        if not move_request(session=session, request_id=found.id, old="pending", new="approved", by_id=actor.id,
                            now=now):
            return self._decided(session, found, "同意")
        log_request(session=session, request_id=found.id, action="approved", by_id=actor.id, note="", now=now)
        member, asker = session.get(Member, found.member_id), session.get(Member, found.requested_by)
        assert member is not None
        effect = self._book(session, found, member, now)
        return Outcome(f"✅ 已同意编号 {found.id}：{what(found, member.name)}（{asker.name if asker else ''}提出，"
                       f"事由：{found.reason}）。{effect}")

    def reject(self, session: Session, actor: MemberInfo, number: str, why: str, *, now: datetime,
               wording: Wording = CHAT_WORDING) -> Outcome:
        found = self._request(session, actor, number, "不同意", wording)
        if isinstance(found, Outcome):
            return found
        if found.status != "pending":
            return self._decided(session, found, "不同意", done=found.status == "rejected"
                                 and found.decided_by == actor.id)
        if found.requested_by == actor.id:
            return Outcome(f"编号 {found.id} 是您提出的；不再需要请{wording.withdraw.format(id=found.id)}。", 2)
        return self._close(session, found, actor, "rejected", why, now, f"已退回编号 {found.id}")

    def withdraw(self, session: Session, actor: MemberInfo, number: str, *, now: datetime,
                 wording: Wording = CHAT_WORDING) -> Outcome:
        found = self._request(session, actor, number, "撤回", wording)
        if isinstance(found, Outcome):
            return found
        if found.status != "pending":
            return self._decided(session, found, "撤回", done=found.status == "withdrawn")
        if found.requested_by != actor.id:
            asker = session.get(Member, found.requested_by)
            return Outcome(f"编号 {found.id} 是{asker.name if asker else '其他支委'}提出的，只有提出人可以撤回；"
                           f"如不同意，请{wording.reject.format(id=found.id)}。", 2)
        return self._close(session, found, actor, "withdrawn", "", now, f"已撤回编号 {found.id}")

    def reverse(self, session: Session, actor: MemberInfo, number: str, why: str, *, now: datetime,
                wording: Wording = CHAT_WORDING) -> Outcome:
        """撤销 an entry in effect: a new ledger entry cancels it (the old one stays), with who and why."""
        found = self._request(session, actor, number, "撤销", wording)
        if isinstance(found, Outcome):
            return found
        if found.status == "pending":
            withdraw, reject = wording.withdraw.format(id=found.id), wording.reject.format(id=found.id)
            return Outcome(f"编号 {found.id} 还在等待同意，尚未生效，不需要撤销："
                           f"提出人可{withdraw}，其他支委可{reject}。", 2)
        if found.status != "approved":
            return self._decided(session, found, "撤销", done=found.status == "reversed")
        if not why:
            return Outcome(f"请写明撤销事由，例如：撤销 {found.id} 重复记录", 2)
        if found.member_id == actor.id:
            return Outcome(f"编号 {found.id} 是关于您本人的，请由本支部其他书记或委员撤销。", 2)
        assert found.id is not None
        if not move_request(session=session, request_id=found.id, old="approved", new="reversed", by_id=None,
                            now=None):
            return self._decided(session, found, "撤销")
        log_request(session=session, request_id=found.id, action="reversed", by_id=actor.id, note=why, now=now)
        undone = undo_request(session=session, request=found, note=f"撤销：{why}（{actor.name}）"[:MAX_REASON])
        member = session.get(Member, found.member_id)
        assert member is not None
        if undone:
            self._tell(session, found, member, now, "reversed", member_note(
                found, paid=0, branch=self._branch(session, found), undone=undone, why=why))
        change = (f"另记一笔 -{undone} 分冲减" if undone > 0 else f"另记一笔 +{-undone} 分退还" if undone < 0
                  else "当时超出积分上限、未计入积分，无需冲减")
        return Outcome(f"✅ 已撤销编号 {found.id}（{what(found, member.name)}）：{change}，原记录保留。"
                       f"撤销事由：{why}。")

    # ----- 待审积分 -----

    def pending(self, session: Session, actor: MemberInfo, scope: int | None) -> str:
        branch = scope if not actor.is_admin or scope is not None else None
        whose = "本支部" if branch is not None else "各支部"
        rows = request_rows(session=session, branch_id=branch, status="pending")
        if not rows:
            return f"{whose}没有待同意的积分申请。"
        lines = [f"📋 {whose}待同意的积分申请（{len(rows)} 条）："]
        for row in reversed(rows):
            mine = "  ← 您提出的，需其他支委同意" if row.request.requested_by == actor.id else ""
            lines.append(request_line(row, with_branch=branch is None) + mine)
        lines.append("书记、委员发送「同意 编号」计入党建积分，「不同意 编号 理由」退回；提出人可发送「撤回 编号」。")
        return "\n".join(lines)

    # ----- the parts -----

    def _request(self, session: Session, actor: MemberInfo, number: str, verb: str,
                 wording: Wording) -> PointsRequest | Outcome:
        if not actor.is_manager:
            return Outcome(MANAGERS_ONLY.format(action=f"{verb}积分申请"), 2)
        value = parse_number(number)
        if value is None:
            return Outcome(f"请写积分申请的编号，例如：{verb} 3；待同意的申请{wording.listing}。", 2)
        found = session.get(PointsRequest, value)
        if found is None:
            return Outcome(f"没有编号为 {value} 的积分申请；待同意的申请{wording.listing}。", 1)
        if not actor.manages(found.branch_id):
            return Outcome(f"编号 {value} 是{self._branch(session, found)}的积分申请，"
                           f"您只能{verb}本支部的申请。", 2)
        return found

    def _decided(self, session: Session, request: PointsRequest, verb: str, *, done: bool = False) -> Outcome:
        """Why a request already decided cannot be `verb`-ed; `done`: it is what this sender asked (a retry)."""
        session.refresh(request)
        decider = session.get(Member, request.decided_by) if request.decided_by else None
        by = decider.name if decider else ""
        state = {"approved": f"已{'由' + by + '同意并' if by else ''}生效", "rejected": f"已被{by}退回（不同意）",
                 "withdrawn": "已由提出人撤回", "reversed": "已撤销"}.get(request.status, request.status)
        if done:
            return Outcome(f"编号 {request.id} {state}，不需要再{verb}。")
        return Outcome(f"编号 {request.id} {state}，不能再{verb}。", 2)

    def _close(self, session: Session, request: PointsRequest, actor: MemberInfo, status: str, why: str,
               now: datetime, done: str) -> Outcome:
        assert request.id is not None
        if not move_request(session=session, request_id=request.id, old="pending", new=status, by_id=actor.id,
                            now=now):
            return self._decided(session, request, "撤回" if status == "withdrawn" else "不同意")
        log_request(session=session, request_id=request.id, action=status, by_id=actor.id, note=why, now=now)
        member = session.get(Member, request.member_id)
        return Outcome(f"{done}（{what(request, member.name if member else '')}，事由：{request.reason}），"
                       "不计入党建积分。" + (f"退回理由：{why}。" if why else ""))

    def _book(self, session: Session, request: PointsRequest, member: Member, now: datetime) -> str:
        """Put an agreed request in the ledger, tell the member, and say what counted."""
        category = Category(request.category)
        award = book_request(session=session, request=request, cap=self.rules.cap(category), now=now)
        self._tell(session, request, member, now, "booked", member_note(
            request, paid=award.paid, withheld=award.withheld, branch=self._branch(session, request)))
        return self._effect(award, request, member.name)

    def _effect(self, award: Award, request: PointsRequest, name: str) -> str:
        if not award.withheld:
            return "已计入党建积分。"
        category = Category(request.category)
        cap = f"{CATEGORY_LABELS[category]}积分上限（{self.rules.cap(category).text()}）"
        if award.paid:
            return f"因{name}已接近{cap}，实计 {award.paid} 分，另 {award.withheld} 分超出上限，未计入。"
        return f"{name}已达{cap}，这 {award.withheld} 分未计入党建积分（记录保留）。"

    def _tell(self, session: Session, request: PointsRequest, member: Member, now: datetime, step: str,
              text: str) -> None:
        """The member concerned hears of it privately, through the outbox, on each platform they use."""
        pushes = [Push(key=f"points:{request.id}:{step}:{identity.channel}:{identity.external_id}", kind="notice",
                       channel=identity.channel, chat_id=identity.external_id, chat_name="私聊", is_group=False,
                       text=text, due_at=now, branch_id=request.branch_id)
                  for identity in identities_of(session=session, member_id=member.id or 0)]
        enqueue(session=session, pushes=pushes, now=now)

    @staticmethod
    def _branch(session: Session, request: PointsRequest) -> str:
        branch = session.get(Branch, request.branch_id) if request.branch_id is not None else None
        return branch.name if branch else "支部"

    @staticmethod
    def _member(session: Session, actor: MemberInfo, written: str, scope: int | None, verb: str) -> Member | str:
        """The member `written` names in the branch `scope`; a 管理员 may name one of any branch. Else why not."""
        name = plain_name(written) or written
        everyone = list(session.exec(select(Member).where(Member.name == name).order_by(Member.id)))
        here = [m for m in everyone if scope is not None and m.branch_id == scope]
        branches = branch_names(session=session)
        whose = branches.get(scope or 0, "本支部")
        twins = f"无法区分；请在花名册中把姓名区分开（如 {name}（财务））后再{verb}。"
        if len(here) == 1:
            return here[0]
        if here:
            return f"{whose}有 {len(here)} 位党员名为「{name}」，{twins}"
        if actor.is_admin and len(everyone) == 1:
            return everyone[0]
        where = "、".join(dict.fromkeys(branches.get(m.branch_id or 0, "未分支部") for m in everyone))
        if actor.is_admin and everyone:
            return f"{where}有 {len(everyone)} 位党员名为「{name}」，{twins}也可以在其所在支部的群里发送。"
        if everyone:
            return f"{name}是{where}的党员，您只能为本支部（{whose}）的党员{verb}。"
        names = [m.name for m in members_of_branch(session=session, branch_id=scope)] if scope is not None else []
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        guess = f"（是不是{'、'.join(f'「{c}」' for c in close)}？）" if close else ""
        return f"{whose}的花名册中没有「{name}」{guess}，请核对姓名后重发。"
