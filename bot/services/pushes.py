"""Study plans and arranged pushes: their jobs, what a job writes to the outbox, and the chat commands
推送计划 / 安排推送 / 取消推送 (and `studybot push`).

Jobs (bot/jobs/book.py) only say "plan entry X is due" or "arranged push N is due"; this service
turns that into outbox rows, one per target chat, keyed by the occurrence, so a job run twice for the
same occurrence writes nothing new."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.clock import SHANGHAI
from bot.jobs.book import JobBook, JobSpec
from bot.messages import Chat, Outgoing
from bot.services.context import Context
from bot.services.numbers import parse_number
from bot.services.push_rate import PushRate
from bot.services.study import StudyService
from bot.services.wording import CHAT, PushWording, unknown_group_text
from bot.storage.branches import groups_for, groups_of_branch
from bot.storage.db import Database
from bot.storage.models import Branch, ChatGroup, ScheduledPush
from bot.storage.outbox import enqueue
from bot.storage.pushes import live_pushes, plan_pushes_sent, push_outcome
from content.plans import PlanEntry

__all__ = ["PushService", "Target"]

log = logging.getLogger(__name__)

UPCOMING = 10
ENDED_SHOWN = timedelta(days=30)  # one-off pushes listed as ended (推送计划, studybot push list) for this long
ENDED_LISTED = 5  # of them, in chat
OUTCOMES = {"sent": "已发送", "pending": "待发送", "failed": "发送失败", "": "已结束，未发送"}


@dataclass(frozen=True)
class Target:
    chat: Chat
    branch_id: int | None


class PushService:
    def __init__(self, *, db: Database, study: StudyService, jobs: JobBook, plans: list[PlanEntry],
                 parse_when: Callable[..., Any], occurrence: Callable[[object, datetime, timedelta], datetime],
                 describe_time: Callable[[datetime], str], push_grace: timedelta, contest_grace: timedelta,
                 start_contest: Callable[[Target, PlanEntry, datetime], list[Outgoing]],
                 start_round: Callable[[PlanEntry, datetime], list[Outgoing]] | None = None,
                 send: Callable[[list[Outgoing]], None], now: Callable[[], datetime], rate: PushRate) -> None:
        self._db, self._study, self._jobs, self._rate = db, study, jobs, rate
        self.plans = {entry.id: entry for entry in plans}
        self._parse_when, self._occurrence, self._describe = parse_when, occurrence, describe_time
        self._push_grace, self._contest_grace = push_grace, contest_grace
        self._start_contest, self._send, self._now = start_contest, send, now
        self._start_round = start_round

    # ----- jobs -----

    def plan_specs(self) -> list[JobSpec]:
        return [JobSpec(f"plan:{entry.id}", "plan", entry.id, entry.when.trigger,
                        self._contest_grace if entry.contest else self._push_grace)
                for entry in self.plans.values()]

    def _when(self, row: ScheduledPush) -> Any | None:
        """The push's schedule, read as of when it was arranged: a one-off whose time has passed is finished, not
        an error (and one moved past a holiday keeps its later run)."""
        try:
            return self._parse_when(row.when_text, at=row.created_at)
        except Exception as exc:  # a push arranged under an older calendar or phrase rule
            log.warning("arranged push %s: %s", row.id, exc)
            return None

    def _push_spec(self, row: ScheduledPush) -> JobSpec | None:
        when = self._when(row)
        return JobSpec(f"push:{row.id}", "push", str(row.id), when.trigger, self._push_grace) if when else None

    def reconcile(self) -> tuple[int, int, int]:
        """The stored jobs made to match the plan files and the arranged pushes: (added, changed, removed)."""
        plan = self._jobs.reconcile(self.plan_specs(), prefix="plan:")
        with self._db.session() as session:
            rows = live_pushes(session=session)
        specs = [spec for spec in map(self._push_spec, rows) if spec is not None]
        pushes = self._jobs.reconcile(specs, prefix="push:")
        return plan[0] + pushes[0], plan[1] + pushes[1], plan[2] + pushes[2]

    def run_plan(self, entry_id: str) -> None:
        entry = self.plans.get(entry_id)
        if entry is None:
            log.warning("plan entry %s is gone; its job ran once more", entry_id)
            return
        now = self._now()
        due = self._occurrence(entry.when.trigger, now, self._contest_grace if entry.contest else self._push_grace)
        if entry.to_all and self._start_round is not None:  # one 全委竞赛 in every group
            self._send(self._start_round(entry, now))
            return
        with self._db.session() as session:
            targets = self.targets(session, entry.targets)
            if not targets:
                log.warning("plan %s: no known group for %s; nothing pushed (the bot learns a group when "
                            "someone writes in it)", entry.id, ", ".join(entry.targets))
            if entry.contest:
                session.commit()
                for target in targets:
                    self._send(self._start_contest(target, entry, now))
                return
            pushes = []
            for target in targets:
                done = self._pushed_count(session, entry, target)
                item_id = entry.items[done % len(entry.items)]
                item = self._study.library.get(item_id)
                if item is None:
                    log.warning("plan %s: item %s is no longer in the library", entry.id, item_id)
                    continue
                pushes.append(self._study.push(
                    item=item, chat=target.chat, branch_id=target.branch_id, due=now,
                    key=f"plan:{entry.id}:{due:%Y%m%d%H%M}:{target.chat.channel}:{target.chat.chat_id}"))
            enqueue(session=session, pushes=pushes, now=now)
            session.commit()

    def run_arranged(self, ref: str) -> None:
        now = self._now()
        with self._db.session() as session:
            row = session.get(ScheduledPush, int(ref))
            if row is None or row.cancelled_at is not None:
                return
            item = self._study.library.get(row.item_id)
            if item is None:
                log.warning("arranged push %s: item %s is no longer in the library", row.id, row.item_id)
                return
            spec = self._push_spec(row)
            due = self._occurrence(spec.trigger, now, self._push_grace) if spec else now
            targets = self._branch_targets(session, row.branch_id, row.target)
            pushes = [self._study.push(item=item, chat=t.chat, branch_id=t.branch_id, due=now,
                                       key=f"push:{row.id}:{due:%Y%m%d%H%M}:{t.chat.channel}:{t.chat.chat_id}")
                      for t in targets]
            enqueue(session=session, pushes=pushes, now=now)
            session.commit()

    # ----- targets -----

    @staticmethod
    def _chat(group: ChatGroup) -> Target:
        return Target(Chat(group.channel, group.external_id, True, group.name), group.branch_id)

    def targets(self, session: Session, names: tuple[str, ...] | list[str]) -> list[Target]:
        """The known groups named, or belonging to the branches named, each once."""
        return [self._chat(group) for group in groups_for(session=session, names=names)]

    def _branch_targets(self, session: Session, branch_id: int | None, group_name: str) -> list[Target]:
        return [self._chat(group) for group in groups_of_branch(session=session, branch_id=branch_id, name=group_name)]

    # ----- 推送计划 / 安排推送 / 取消推送 -----

    def upcoming(self, session: Session, branch_id: int | None, limit: int = UPCOMING) -> list[tuple[datetime, str]]:
        """(when, line) of the branch's next pushes: plan entries that reach it, and arranged pushes."""
        branch = session.get(Branch, branch_id) if branch_id is not None else None
        names = {branch.name} if branch else set()
        names |= {g.name for g in groups_of_branch(session=session, branch_id=branch_id)}
        due = dict(self._jobs.jobs())
        lines: list[tuple[datetime, str]] = []
        for entry in self.plans.values():
            at = due.get(f"plan:{entry.id}")
            if at is None or not names & set(entry.targets):
                continue
            what = (f"知识竞赛（{entry.contest.bank or '默认题库'}）" if entry.contest
                    else f"《{self._title(self._next_item(session, entry, branch_id))}》")
            lines.append((at, f"{self._describe(at)} {what}（计划「{entry.name}」，{entry.when.description}）"))
        for row in live_pushes(session=session, branch_id=branch_id, any_branch=False):
            at = due.get(f"push:{row.id}")
            if at is not None:
                where = f"→ {row.target}" if row.target else ""
                lines.append((at, f"{self._describe(at)} 《{self._title(row.item_id)}》{where}"
                                  f"（编号 {row.id}，{row.when_text}）"))
        return sorted(lines)[:limit]

    def ended(self, session: Session, branch_id: int | None,
              within: timedelta = ENDED_SHOWN) -> list[tuple[datetime, str]]:
        """(when, line) of the branch's one-off pushes whose time came in the last `within`, and what became of
        them."""
        due, now, lines = dict(self._jobs.jobs("push:")), self._now(), []
        for row in live_pushes(session=session, branch_id=branch_id, any_branch=False):
            if f"push:{row.id}" in due or (when := self._when(row)) is None or not when.once:
                continue
            run = when.trigger.get_next_fire_time(None, row.created_at.replace(tzinfo=SHANGHAI))
            at = run.astimezone(SHANGHAI).replace(tzinfo=None) if run else row.created_at
            if now - within <= at <= now:
                outcome = OUTCOMES[push_outcome(session=session, push_id=row.id)]
                where = f"→ {row.target}" if row.target else ""
                lines.append((at, f"{self._describe(at)} 《{self._title(row.item_id)}》{where}"
                                  f"（编号 {row.id}，{outcome}）"))
        return sorted(lines)

    def _next_item(self, session: Session, entry: PlanEntry, branch_id: int | None) -> str:
        """The item the entry pushes next to the branch's first group (each group keeps its own place)."""
        groups = self._branch_targets(session, branch_id, "")
        if not groups:
            return entry.items[0]
        return entry.items[self._pushed_count(session, entry, groups[0]) % len(entry.items)]

    @staticmethod
    def _pushed_count(session: Session, entry: PlanEntry, target: Target) -> int:
        return plan_pushes_sent(session=session, entry_id=entry.id, channel=target.chat.channel,
                                chat_id=target.chat.chat_id)

    def _title(self, item_id: str) -> str:
        item = self._study.library.get(item_id)
        return item.title if item else item_id

    def list_text(self, ctx: Context) -> list[Outgoing]:
        lines = self.upcoming(ctx.session, ctx.member.branch_id)
        ended = self.ended(ctx.session, ctx.member.branch_id)[-ENDED_LISTED:]
        text = ("📅 本支部接下来的学习推送：\n" + "\n".join(f"· {line}" for _, line in lines) if lines
                else "本支部近期没有安排学习推送。书记、委员可发送「安排推送 资料 时间」，"
                     "例如：安排推送 三会一课制度要点 每周一 09:00")
        if ended:
            text += "\n最近结束的一次性推送：\n" + "\n".join(f"· {line}" for _, line in ended)
        return [ctx.reply(text)]

    def arrange(self, session: Session, *, branch_id: int | None, args: list[str], by: str, groups: list[str],
                wording: PushWording = CHAT) -> tuple[ScheduledPush | None, str]:
        """Parse `安排推送 <素材> <时间> [群]`; the new row (flushed) or None, and the reply."""
        usage = wording.usage
        if len(args) < 2:
            return None, usage
        item = self._study.library.get(args[0])
        if item is None:
            return None, f"没有找到学习资料「{args[0]}」。{wording.find_item}\n{usage}"
        rest = list(args[1:])
        target = rest.pop() if len(rest) > 1 and rest[-1] in groups else ""
        try:
            when = self._parse_when(" ".join(rest))
        except Exception as exc:
            if not target and len(rest) > 1 and self._parses(" ".join(rest[:-1])):
                return None, unknown_group_text(rest[-1], groups, wording)
            return None, f"{exc}\n{usage}"
        refused = self._rate.refusal(when.text, when.trigger, self._alike(session, branch_id, item.id, target))
        if refused is not None:
            return None, refused
        row = ScheduledPush(branch_id=branch_id, target=target, item_id=item.id, when_text=when.text, created_by=by,
                            created_at=self._now())
        session.add(row)
        session.flush()
        where = f"群「{target}」" if target else f"{wording.whose}的群"
        return row, f"✅ 已安排推送（编号 {row.id}）：{when.description} 向{where}推送《{item.title}》。"

    def _parses(self, text: str) -> bool:
        try:
            self._parse_when(text)
        except Exception:
            return False
        return True

    def _alike(self, session: Session, branch_id: int | None, item_id: str, target: str) -> list[tuple[int, Any]]:
        """(number, trigger) of the pushes already arranged for the item to some of the same groups ("" is all the
        branch's groups)."""
        rows = [r for r in live_pushes(session=session, branch_id=branch_id, any_branch=False)
                if r.item_id == item_id and (not r.target or not target or r.target == target)]
        return [(r.id, spec.trigger) for r in rows if (spec := self._push_spec(r)) is not None]

    def activate(self, row: ScheduledPush) -> str:
        """Give an arranged push (committed) its job; a note when it will never run."""
        spec = self._push_spec(row)
        if spec is None or not self._jobs.put(spec):
            return "注意：这个时间已经过去，不会再推送。"
        at = dict(self._jobs.jobs("push:")).get(spec.id)
        return f"第一次推送：{self._describe(at)}。" if at else ""

    def cancel(self, session: Session, *, branch_id: int | None, number: str, any_branch: bool = False,
               wording: PushWording = CHAT) -> str:
        push_id = parse_number(number)
        if push_id is None:
            return wording.cancel_usage
        row = session.get(ScheduledPush, push_id)
        if row is None or row.cancelled_at is not None or (row.branch_id != branch_id and not any_branch):
            return f"{wording.whose}没有编号为 {push_id} 的推送安排。{wording.listing}"
        row.cancelled_at = self._now()
        session.add(row)
        session.commit()
        self._jobs.remove(f"push:{row.id}")
        return f"已取消推送（编号 {row.id}）：《{self._title(row.item_id)}》，{row.when_text}。"
