"""The flow of a contest in a group: started, answered, each question closed by its deadline, by 下一题 or once
everyone the roster expects has answered, stopped, and resumed after a restart."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.messages import Chat, Outgoing, Priority
from bot.services.catalog import Catalog
from bot.services.contests import texts
from bot.services.contests.answering import check_tap, take_answer
from bot.services.contests.deadlines import Deadlines
from bot.services.contests.options import ContestOptions
from bot.services.contests.page_notice import tell_members, tell_secretaries
from bot.services.contests.records import STALE_AFTER, expire, restore, settle_stored
from bot.services.contests.running import RunningContest, RunningContests
from bot.services.contests.settle_later import LaterSettlement
from bot.services.contests.steps import ContestStep, StepHub
from bot.services.context import Context, GroupInfo, MemberInfo
from bot.services.directory import BranchCount
from bot.services.points_notes import cap_reached_names
from bot.storage.contests import insert_contest, running_contests, save_progress, unsettled_contests
from bot.storage.db import Database
from bot.storage.points import Reached
from quizzes.contest import Contest, Reveal, draw_questions
from quizzes.grading import prepare
from quizzes.model import Question
from quizzes.scoring import ScoringRules
from scheduler.points import Category, PointsRules

__all__ = ["ContestService", "BranchCounter"]

log = logging.getLogger(__name__)

# (session, branch id, now) → how many members the branch has, and how many of them the roster puts there
# (bot/services/directory.py keeps it)
BranchCounter = Callable[[Session, int | None, datetime], BranchCount]


class ContestService:
    def __init__(self, *, db: Database, catalog: Catalog, deadlines: Deadlines, rules: ScoringRules,
                 rng: random.Random, send: Callable[[list[Outgoing]], None], branch_count: BranchCounter,
                 options: ContestOptions, now: Callable[[], datetime], points: PointsRules | None = None) -> None:
        self._db, self._catalog, self._deadlines, self._rules, self._rng = db, catalog, deadlines, rules, rng
        self.points = points or PointsRules()
        self._send, self._branch_count, self._now, self.options = send, branch_count, now, options
        self._running = RunningContests()
        self.later = LaterSettlement(db=db, deadlines=deadlines, points=self.points, cap_note=self._cap_note, send=send,
                                     now=now, reload=self.forget_all)  # a large question's points: after its reveal
        self.steps = StepHub()  # the live contest page listens (wired by the web side)

    # ----- commands -----

    def start(self, ctx: Context, bank_name: str | None, count: int | None,
              time_limit: int | None = None, *, scored: bool | None = None, privately: bool = True) -> list[Outgoing]:
        """开始竞赛 in the context's group. `scored` None: scored when the starter's role is in
        quizzes.scored_by and they manage the group's branch, else a 练习赛. `privately`: the starter also gets the
        contest page's link in a private chat (not a plan's starter, who has none)."""
        assert ctx.group is not None
        running = self._running.get(ctx.group.id)
        if running is not None:
            return [texts.question_message(running, ctx.incoming.chat, prefix="本群的竞赛正在进行中，当前题目：\n")]
        picked = self.pick(bank_name, count, time_limit)
        if isinstance(picked, str):
            return [ctx.reply(picked)]
        bank_label, questions, limit = picked
        if scored is None:
            scored = self.scores(ctx.member, ctx.group)
        running = self.open(ctx.session, ctx.group, bank_label, questions, limit, ctx.member.id, ctx.now,
                            scored=scored)
        intro = texts.intro_text(ctx.member.name, bank_label, len(questions), limit, scored, self.points)
        base = self.options.page_links
        link = texts.page_link_line(base, running.contest_id)
        told = [Outgoing(Chat(ctx.incoming.channel, ctx.incoming.sender.user_id, False),
                         f"您发起的竞赛可在网页上参加，可将链接发到微信群：{texts.page_link(base, running.contest_id)}")
                ] if base and privately and ctx.incoming.chat.is_group else []
        return [ctx.reply(intro + link, priority=Priority.STEP), texts.question_message(running), *told]

    def scores(self, member: MemberInfo, group: GroupInfo) -> bool:
        roles = self.options.scored_by
        return "member" in roles or (member.role in roles and member.manages(group.branch_id))

    def pick(self, bank_name: str | None, count: int | None,
             time_limit: int | None) -> tuple[str, tuple[Question, ...], int] | str:
        """The bank's name, the drawn questions and the seconds per question; or what is wrong, in Chinese."""
        self._catalog.refresh()
        bank = self._catalog.pick(bank_name)
        if bank is None and bank_name is None and self._catalog.banks():
            return ("配置的默认题库（quizzes.default_bank）不存在，请管理员检查配置。"
                    + texts.bank_list_text(self._catalog))
        if bank is None:
            return texts.unknown_bank_text(self._catalog, bank_name)
        count = self.options.default_count if count is None else count
        if not 1 <= count <= self.options.max_count:
            return f"题数应在 1 到 {self.options.max_count} 之间，例如：开始竞赛 {bank.name} 5"
        if time_limit is not None and not 5 <= time_limit <= 600:
            return "每题限时应在 5 到 600 秒之间，例如：开始竞赛 党建基础知识 5 20秒"
        questions = draw_questions(bank, count, self._rng)
        # 填空 grading needs jieba's dictionary: loaded (once) now rather than on the first answer,
        # and only by a contest that has a 填空 question, so a bot that never asks one never pays for it
        prepare(questions)
        return bank.name, questions, time_limit or bank.time_limit or self.options.default_limit

    def open(self, session: Session, group: GroupInfo, bank: str, questions: tuple[Question, ...], limit: int,
             started_by: int, now: datetime, *, scored: bool, round_id: int | None = None) -> RunningContest:
        """A contest in `group`, stored and running; its deadlines armed unless a 全委竞赛 (`round_id`) keeps
        them."""
        contest = Contest(str(group.id), bank, questions, limit, started_by, now)
        contest_id = insert_contest(session=session, group_id=group.id, contest=contest, now=now, scored=scored,
                                    round_id=round_id)
        running = RunningContest(contest_id, contest, group.chat, group.branch_id, scored=scored, round_id=round_id,
                                 settled_counted=round_id is not None)
        self._running.add(group.id, running)
        if round_id is None:
            self._arm(session, group.id, running)
        tell_secretaries(session, group, contest_id, self.options.page_links, now)  # a branch on WeChat
        if self.options.member_links:
            tell_members(session, group, contest_id, self.options.page_links, now)
        self.steps.publish(ContestStep("question", running))
        return running

    def stop(self, ctx: Context) -> list[Outgoing]:
        steered = self._steered(ctx, "结束竞赛", "题目由党委统一安排，不能在群里单独结束")
        if not isinstance(steered, RunningContest):
            return steered
        reveal = steered.contest.finish()
        assert reveal is not None and ctx.group is not None
        # answers already given to the open question count
        reached = self.later.settle(ctx.session, steered, reveal, ctx.now)
        save_progress(session=ctx.session, contest_id=steered.contest_id, contest=steered.contest, now=ctx.now)
        self._deadlines.cancel(ctx.group.id)
        self._running.remove(ctx.group.id)
        self.steps.publish(ContestStep("reveal", steered, reveal, ended_early=True))
        return [texts.step_message(steered, reveal, ended_early=True, note=self._cap_note(reveal, reached),
                                   counted=texts.counted_text(self.points))]

    def skip(self, ctx: Context) -> list[Outgoing]:
        """下一题: the open question closes now (its answers count) and the next one opens."""
        steered = self._steered(ctx, "切换到下一题", "每道题按统一时间揭晓，不能单独切换")
        if not isinstance(steered, RunningContest):
            return steered
        assert ctx.group is not None
        return self.close(ctx.session, ctx.group.id, ctx.now)

    def _steered(self, ctx: Context, doing: str, in_a_round: str) -> RunningContest | list[Outgoing]:
        """The group's contest when the sender may steer it (its starter, a manager of the group's branch, a
        管理员); else the reply that says why not."""
        assert ctx.group is not None
        running = self._running.get(ctx.group.id)
        if running is None:
            return [ctx.reply("本群当前没有进行中的竞赛。发送「开始竞赛」发起一场。")]
        if running.round_id is not None:
            return [ctx.reply(f"本群正在参加全委竞赛，{in_a_round}。")]
        if ctx.member.id != running.contest.started_by and not ctx.member.manages(ctx.group.branch_id):
            return [ctx.reply(f"只有竞赛发起人、本支部的书记、委员或管理员可以{doing}。")]
        return running

    def running(self, group_id: int) -> RunningContest | None:
        return self._running.get(group_id)

    def by_id(self, contest_id: int) -> RunningContest | None:
        """The running contest with this id (a page names it so), or None once it ended."""
        return self._running.by_id(contest_id)

    def open_question(self, group_id: int) -> Question | None:
        """The question the group's contest is asking, or None when no contest runs there."""
        running = self._running.get(group_id)
        return running.contest.current if running else None

    def answer(self, ctx: Context) -> list[Outgoing] | None:
        """The member's answer (typed, or a tap on a card) to the open question; None if typed text is not
        an answer or no contest runs in the group. A tap is always answered, if only by a note to the member."""
        running = self._running.get(ctx.group.id) if ctx.group is not None else None
        if ctx.incoming.button is not None and (refused := check_tap(ctx, running)) is not None:
            return refused
        if running is None or ctx.group is None:
            return None
        self.later.answers += 1
        count = self._branch_count(ctx.session, running.branch_id, ctx.now)
        answered = take_answer(ctx, running, self._rules, count, self.options.acknowledge_up_to)
        if answered is None:
            return None
        if answered.close_now:
            return self.close(ctx.session, ctx.group.id, ctx.now)
        return answered.replies

    # ----- deadlines and restart -----

    def resume(self, now: datetime) -> list[Outgoing]:
        """Reload running contests after a restart and re-arm their deadlines; a deadline that passed
        while the bot was down fires at once (App.start fires due timers), one that passed more than
        STALE_AFTER ago ends the contest. Returns notices for groups whose contest could not be resumed."""
        notices: list[Outgoing] = []
        with self._db.session() as session:
            for unsettled in unsettled_contests(session=session):  # a 全委竞赛 stopped before its points were written
                settle_stored(session, unsettled, self._catalog, self.points)
            session.flush()
            for row in running_contests(session=session):
                restored = restore(session, row, self._catalog, now, self.points)
                if not isinstance(restored, Outgoing) and now > restored.contest.deadline + STALE_AFTER:
                    restored = expire(session, restored, now, self.points)  # left behind long ago: ended, not resumed
                if isinstance(restored, Outgoing):
                    notices.append(restored)
                    continue
                self._running.add(row.group_id, restored)
                if restored.round_id is None:
                    self._arm(session, row.group_id, restored)
            session.commit()
        return notices

    def drop_all(self) -> None:
        """Forget the contests under way without reading them back (a leader stepping down; its timers are cleared)."""
        self._running.clear()
        self.later.forget()

    def forget_all(self) -> None:
        """Drop in-memory state after a failed commit and reload it from the database."""
        for group_id in self._running.group_ids():
            self._deadlines.cancel(group_id)
        self.drop_all()
        self.resume(self._now())

    def _arm(self, session: Session, group_id: int, running: RunningContest) -> None:
        contest = running.contest
        self._deadlines.arm(group_id, contest.deadline, self._on_deadline)
        # a large group sees no line per answer: halfway through, one line says how many have answered
        count = self._branch_count(session, running.branch_id, contest.question_started_at)
        if count.known > self.options.acknowledge_up_to:
            halfway = contest.question_started_at + timedelta(seconds=contest.limit_for(contest.current) // 2)
            self._deadlines.arm_progress(group_id, halfway, self._on_halfway)

    def _on_halfway(self, group_id: int, due: datetime) -> None:
        running = self._running.get(group_id)
        if running is None or running.progress_told:
            return
        answered = len(running.contest.answers)
        if not answered:  # 「已有 0 人作答」 tells the group nothing
            return
        running.progress_told = True
        with self._db.session() as session:
            expected = self._branch_count(session, running.branch_id, due).rostered
        remaining = max(int((running.contest.deadline - due).total_seconds()), 0)
        text = texts.progress_text(running.contest.number, answered, expected, remaining)
        self._send([Outgoing(running.chat, text, priority=Priority.PROGRESS)])

    def _on_deadline(self, group_id: int, due: datetime) -> None:
        running = self._running.get(group_id)
        if running is None:
            return
        try:
            with self._db.session() as session:
                messages = self.close(session, group_id, due)
                session.commit()
        except Exception:
            # nothing was committed: reload from the database, which re-arms this deadline
            log.exception("closing question %d of contest %s failed", running.contest.number, running.contest_id)
            self.forget_all()
            return
        self._send(messages)

    def close(self, session: Session, group_id: int, now: datetime) -> list[Outgoing]:
        """Close the group's open question: its points settled, the next question opened (or the results).
        One message for the group: the answer and the next question (or the results)."""
        running = self._running.get(group_id)
        if running is None:
            return []
        contest = running.contest
        reveal = contest.close_question(now)
        note = ""
        if running.round_id is not None:  # 500 groups' points take seconds: the 全委竞赛 writes them after the reveals
            running.pending.append((reveal, now))
        else:  # 10,000 answers' points take a second: written after the reveal (settle_later.py)
            note = self._cap_note(reveal, self.later.settle(session, running, reveal, now))
        save_progress(session=session, contest_id=running.contest_id, contest=contest, now=now)
        running.next_question()
        if contest.finished:
            self._deadlines.cancel(group_id)
            self._running.remove(group_id)
        elif running.round_id is None:
            self._arm(session, group_id, running)
        self.steps.publish(ContestStep("reveal", running, reveal))
        return [texts.step_message(running, reveal, note=note, counted=texts.counted_text(self.points))]

    def _cap_note(self, reveal: Reveal, reached: dict[int, Reached]) -> str:
        """Who reached the day's (or month's) 答题 cap with this question: told once, in the reveal."""
        if not reached:
            return ""
        return cap_reached_names(self.points, Category.QUIZ, reached, {a.member_id: a.name for a in reveal.answers})
