"""The 全委竞赛: one contest in every target group, the same questions at the same moments.

Each group's part is an ordinary contest (ContestService.open with the round's id): its answers, reveals and
points are a contest's. The round keeps the one deadline all of them close at (a group's question never closes
early, so every group sees each question at the same moment) and, at the end, the shared standings: branches by
average points per member (quizzes/standings.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.messages import Chat, Outgoing, Priority
from bot.services.contests import texts
from bot.services.contests.deadlines import Deadlines
from bot.services.contests.records import settle
from bot.services.contests.running import RunningContest
from bot.services.contests.service import BranchCounter, ContestService
from bot.services.contests.steps import ContestStep
from bot.services.context import GroupInfo
from bot.storage.branches import all_groups, branch_names
from bot.storage.contests import mark_settled
from bot.storage.db import Database
from bot.storage.models import ChatGroup
from bot.storage.rounds import contests_of_round, insert_round, running_rounds, save_round
from quizzes.standings import BranchResult, BranchStanding, rank_branches

__all__ = ["RoundService", "group_info", "Round"]

log = logging.getLogger(__name__)

SHOWN = 30  # branches listed in the standings; each group also sees its own branch's line
SETTLE_GROUPS = 25  # groups whose points are written in one transaction after a reveal (about 0.2 s for 25 × 200)
SETTLE_GAP = timedelta(seconds=0.25)  # between those transactions: longer than the service's timer tick


def group_info(row: ChatGroup) -> GroupInfo:
    assert row.id is not None
    return GroupInfo(row.id, Chat(row.channel, row.external_id, True, row.name), row.name, row.branch_id)


@dataclass
class Round:
    round_id: int
    group_ids: list[int]


class RoundService:
    def __init__(self, *, db: Database, contests: ContestService, deadlines: Deadlines,
                 branch_count: BranchCounter, send: Callable[[list[Outgoing]], None],
                 now: Callable[[], datetime]) -> None:
        self._db, self._contests, self._deadlines = db, contests, deadlines
        self._branch_count, self._send, self._now = branch_count, send, now
        self._rounds: dict[int, Round] = {}

    def groups(self, session: Session, channels: Iterable[str], branches: Iterable[str] = ()) -> list[GroupInfo]:
        """The groups a round goes to: every group the bot knows on `channels`; with `branches`, those of the
        named branches only."""
        wanted = set(branches)
        names = branch_names(session=session)
        return [group_info(row) for row in all_groups(session=session, channels=list(channels))
                if not wanted or names.get(row.branch_id or -1) in wanted]

    def start(self, session: Session, *, starter_id: int, starter: str, groups: Iterable[GroupInfo],
              bank_name: str | None, count: int | None, time_limit: int | None,
              now: datetime) -> tuple[str, list[Outgoing]]:
        """Start a round in `groups`: (what the starter is told, the messages for the groups). A group that
        runs its own contest is told and skipped (it cannot be in two contests at once)."""
        picked = self._contests.pick(bank_name, count, time_limit)
        if isinstance(picked, str):
            return picked.replace("开始竞赛", "开始全委竞赛"), []
        bank, questions, limit = picked
        targets, busy = [], []
        for group in groups:
            (busy if self._contests.running(group.id) is not None else targets).append(group)
        if not targets:
            return "没有可以参加全委竞赛的群：机器人还没有加入任何群，或各群都在进行自己的竞赛。", []
        round_id = insert_round(session=session, bank=bank, question_keys=[q.key for q in questions],
                                time_limit=limit, started_by=starter_id, now=now)
        intro = (f"📣 {starter} 发起了全委竞赛：{bank}，共 {len(questions)} 题，每题限时 {limit} 秒，"
                 f"{len(targets)} 个群同时进行。\n各支部按人均得分排名（未参赛的党员按 0 分计），积分计入党建积分。")
        messages: list[Outgoing] = []
        base, links = self._contests.options.page_links, []
        for group in targets:
            running = self._contests.open(session, group, bank, questions, limit, starter_id, now, scored=True,
                                          round_id=round_id)
            messages.append(Outgoing(group.chat, intro + texts.page_link_line(base, running.contest_id),
                                     priority=Priority.STEP))
            messages.append(texts.question_message(running))
            if base and group.chat.channel == "h5":  # a branch on WeChat: its secretary posts this link
                links.append(f"\n{group.name}：{texts.page_link(base, running.contest_id)}")
        for group in busy:
            messages.append(Outgoing(group.chat, f"本群正在进行自己的竞赛，{starter} 发起的全委竞赛（{bank}）"
                                                 "不在本群进行，本群成绩不计入本次支部排名。"))
        self._rounds[round_id] = Round(round_id, [g.id for g in targets])
        first = self._contests.running(targets[0].id)
        assert first is not None
        self._deadlines.arm_round(round_id, first.contest.deadline, self._on_deadline)
        skipped = (f"；{len(busy)} 个群正在进行自己的竞赛，已跳过：" + "、".join(g.name for g in busy[:10])
                   if busy else "")
        return f"全委竞赛（编号 {round_id}）已在 {len(targets)} 个群开始{skipped}。{''.join(links)}", messages

    def resume(self) -> None:
        """After a restart (ContestService.resume has restored each group's part): re-arm every round."""
        with self._db.session() as session:
            for row in running_rounds(session=session):
                assert row.id is not None
                group_ids = [c.group_id for c in contests_of_round(session=session, round_id=row.id)
                             if c.status == "running"]
                parts = [p for p in (self._contests.running(g) for g in group_ids) if p is not None]
                if not parts:
                    save_round(session=session, round_id=row.id, index=row.current_index,
                               opened=row.question_started_at, finished=True, now=self._now())
                    continue
                self._rounds[row.id] = Round(row.id, group_ids)
                self._deadlines.arm_round(row.id, min(p.contest.deadline for p in parts), self._on_deadline)
                log.info("resumed 全委竞赛 %s in %d groups", row.id, len(parts))
            session.commit()

    def drop_all(self) -> None:
        self._rounds.clear()

    def forget_all(self) -> None:
        for round_id in list(self._rounds):
            self._deadlines.cancel_round(round_id)
        self._rounds.clear()
        self.resume()

    def _on_deadline(self, round_id: int, due: datetime) -> None:
        the_round = self._rounds.get(round_id)
        if the_round is None:
            return
        parts = [p for g in the_round.group_ids if (p := self._contests.running(g)) is not None]
        try:
            with self._db.session() as session:
                messages = self._close(session, the_round, due)
                session.commit()
        except Exception:
            log.exception("closing a question of 全委竞赛 %s failed", round_id)
            self._contests.forget_all()
            self.forget_all()
            return
        self._send(messages)
        # the reveals are out; the points follow in parts, a fraction of a second apart, so answers to the next
        # question are taken in between (a restart before they are all written writes the rest: settle_stored)
        for number, start in enumerate(range(0, len(parts), SETTLE_GROUPS)):
            chunk = parts[start:start + SETTLE_GROUPS]
            self._deadlines.arm_later(f"{round_id}:{number}", due + SETTLE_GAP * (number + 1),
                                      lambda chunk=chunk: self._settle(chunk))

    def _settle(self, parts: list[RunningContest]) -> None:
        try:
            with self._db.session() as session:
                for part in parts:
                    for reveal, at in part.pending:
                        settle(session, part, reveal, at, self._contests.points)
                    mark_settled(session=session, contest_id=part.contest_id, settled=part.settled + len(part.pending))
                session.commit()
        except Exception:
            log.exception("writing the points of a 全委竞赛's question failed; they are written at the next start")
            return
        for part in parts:
            part.settled += len(part.pending)
            part.pending.clear()

    def _close(self, session: Session, the_round: Round, due: datetime) -> list[Outgoing]:
        parts = {g: p for g in the_round.group_ids if (p := self._contests.running(g)) is not None}
        messages: list[Outgoing] = []
        for group_id in parts:
            messages += self._contests.close(session, group_id, due)
        still = [p for p in parts.values() if not p.contest.finished]
        if still:
            first = still[0].contest
            save_round(session=session, round_id=the_round.round_id, index=first.index,
                       opened=first.question_started_at, finished=False, now=due)
            self._deadlines.arm_round(the_round.round_id, first.deadline, self._on_deadline)
            return messages
        last = max((p.contest.index for p in parts.values()), default=0)
        save_round(session=session, round_id=the_round.round_id, index=last, opened=due, finished=True, now=due)
        self._rounds.pop(the_round.round_id, None)
        return messages + self._standings(session, list(parts.values()), due)

    def _standings(self, session: Session, parts: list[RunningContest], now: datetime) -> list[Outgoing]:
        names = branch_names(session=session)
        by_branch: dict[int | None, list[RunningContest]] = {}
        for part in parts:
            by_branch.setdefault(part.branch_id, []).append(part)
        results = []
        for branch_id, its_parts in by_branch.items():
            count = self._branch_count(session, branch_id, now)
            totals: dict[int, int] = {}
            for part in its_parts:
                for member_id, points in part.contest.totals.items():
                    totals[member_id] = totals.get(member_id, 0) + points
            results.append(BranchResult(names.get(branch_id, "未分支部") if branch_id is not None else "未分支部",
                                        count.rostered or count.known, sum(totals.values()), len(totals)))
        table = rank_branches(results)
        for part in parts:
            own = names.get(part.branch_id, "") if part.branch_id else ""
            self._contests.steps.publish(ContestStep("standings", part, standings=tuple(table), own_branch=own))
        return [Outgoing(part.chat, standings_text(table, names.get(part.branch_id, "") if part.branch_id else ""),
                         priority=Priority.STEP) for part in parts]


def standings_text(table: list[BranchStanding], own: str) -> str:
    lines = [f"🏁 全委竞赛支部排名（共 {len(table)} 个支部，按人均得分，未参赛的党员按 0 分计）"]
    medals = ("🥇", "🥈", "🥉")
    for row in table[:SHOWN]:
        mark = medals[row.rank - 1] if row.rank <= 3 else f"{row.rank}."
        lines.append(f"{mark} {row.branch} 人均 {row.average:g} 分，参与 {row.took_part}/{row.members} 人"
                     f"（{row.participation:.0%}）")
    mine = next((row for row in table if row.branch == own), None)
    if mine is not None and mine.rank > SHOWN:
        lines.append(f"本支部：第 {mine.rank} 名，人均 {mine.average:g} 分，参与 {mine.took_part}/{mine.members} 人")
    return "\n".join(lines)
