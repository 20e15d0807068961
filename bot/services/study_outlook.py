"""学习 on the dashboard: the study plans (content/plans.py entries, as the scheduler holds them) and the next pushes
— when, what, to which groups — of the plans and of the pushes secretaries arranged (安排推送), limited to the
branches a viewer sees. Read from the job store, the plans and the outbox as 推送计划 in chat reads them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.jobs.book import JobBook
from bot.services.pushes import PushService
from bot.storage.branches import branch_names
from bot.storage.pushes import live_pushes, plan_pushes_sent
from content.library import Library

__all__ = ["PlanLine", "NextPush", "study_outlook"]


@dataclass(frozen=True)
class PlanLine:
    name: str
    when: str  # 每周一 09:00
    to: str  # the groups it reaches (in scope), or the names the plan gives
    items: str  # 《a》《b》… or 知识竞赛（题库）


@dataclass(frozen=True)
class NextPush:
    at: datetime
    what: str
    to: str
    source: str  # 计划「…」 / 安排推送 编号 3（张书记）


def study_outlook(pushes: PushService, library: Library, jobs: JobBook, session: Session, *,
                  sees_branch: Callable[[int | None], bool], everything: bool, branch_ids: frozenset[int]
                  ) -> tuple[list[PlanLine], list[NextPush]]:
    """The plans reaching a branch in scope, and the next run of each plan and live arranged push, soonest first."""
    due = dict(jobs.jobs())

    def title(item_id: str) -> str:
        item = library.get(item_id)
        return item.title if item else item_id

    plans, upcoming = [], []
    for entry in pushes.plans.values():
        groups = [t for t in pushes.targets(session, entry.targets) if everything or sees_branch(t.branch_id)]
        if not groups and not everything:
            continue
        to = "、".join(t.chat.name for t in groups) or f"{'、'.join(entry.targets)}（尚无已知群）"
        if entry.contest:
            what = f"知识竞赛（{entry.contest.bank or '默认题库'}）"
            listed = what
        else:
            listed = "".join(f"《{title(i)}》" for i in entry.items)
            place = plan_pushes_sent(session=session, entry_id=entry.id, channel=groups[0].chat.channel,
                                     chat_id=groups[0].chat.chat_id) if groups else 0
            what = f"《{title(entry.items[place % len(entry.items)])}》" if entry.items else ""
        plans.append(PlanLine(entry.name, entry.when.description, to, listed))
        at = due.get(f"plan:{entry.id}")
        if at is not None:
            upcoming.append(NextPush(at, what, to, f"计划「{entry.name}」"))
    names = branch_names(session=session)
    rows = live_pushes(session=session) if everything else [
        row for branch_id in sorted(branch_ids) for row in live_pushes(session=session, branch_id=branch_id,
                                                                       any_branch=False)]
    for row in rows:
        at = due.get(f"push:{row.id}")
        if at is None:
            continue
        branch = names.get(row.branch_id, "") if row.branch_id is not None else ""
        to = f"{branch} {row.target}" if row.target else f"{branch}的全部群"
        upcoming.append(NextPush(at, f"《{title(row.item_id)}》", to.strip(),
                                 f"安排推送 编号 {row.id}（{row.created_by or '未署名'}，{row.when_text}）"))
    return plans, sorted(upcoming, key=lambda p: p.at)
