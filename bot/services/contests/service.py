"""The flow of a contest in a group: started, answered, each question closed by its deadline or once the
group's branch has answered, stopped, and resumed after a restart."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session

from bot import render
from bot.messages import Outgoing
from bot.services.catalog import Catalog
from bot.services.contests import texts
from bot.services.contests.deadlines import Deadlines
from bot.services.contests.records import restore, settle
from bot.services.contests.running import RunningContest, RunningContests
from bot.services.context import Context
from bot.storage.contests import insert_contest, running_contests, save_answer, save_progress
from bot.storage.db import Database
from quizzes.contest import Contest, Outcome, draw_questions
from quizzes.grading import looks_like_answer, prepare
from quizzes.model import Question
from quizzes.scoring import ScoringRules

__all__ = ["ContestService", "BranchSize"]

log = logging.getLogger(__name__)

# (session, branch id, now) → how many members the branch has (bot/services/directory.py keeps it)
BranchSize = Callable[[Session, int | None, datetime], int]


class ContestService:
    def __init__(self, *, db: Database, catalog: Catalog, deadlines: Deadlines, rules: ScoringRules,
                 rng: random.Random, send: Callable[[list[Outgoing]], None], branch_size: BranchSize,
                 default_count: int, max_count: int, default_limit: int, acknowledge: bool,
                 now: Callable[[], datetime]) -> None:
        self._db, self._catalog, self._deadlines, self._rules, self._rng = db, catalog, deadlines, rules, rng
        self._send, self._branch_size, self._now = send, branch_size, now
        self._default_count, self._max_count, self._default_limit = default_count, max_count, default_limit
        self._acknowledge = acknowledge
        self._running = RunningContests()

    # ----- commands -----

    def start(self, ctx: Context, bank_name: str | None, count: int | None,
              time_limit: int | None = None) -> list[Outgoing]:
        assert ctx.group is not None
        running = self._running.get(ctx.group.id)
        if running is not None:
            return [texts.question_message(running, ctx.incoming.chat, prefix="本群的竞赛正在进行中，当前题目：\n")]
        self._catalog.refresh()
        bank = self._catalog.pick(bank_name)
        if bank is None and bank_name is None and self._catalog.banks():
            return [ctx.reply("配置的默认题库（quizzes.default_bank）不存在，请管理员检查配置。"
                              + texts.bank_list_text(self._catalog))]
        if bank is None:
            return [ctx.reply(texts.unknown_bank_text(self._catalog, bank_name))]
        count = self._default_count if count is None else count
        if not 1 <= count <= self._max_count:
            return [ctx.reply(f"题数应在 1 到 {self._max_count} 之间，例如：开始竞赛 {bank.name} 5")]
        if time_limit is not None and not 5 <= time_limit <= 600:
            return [ctx.reply("每题限时应在 5 到 600 秒之间，例如：开始竞赛 党建基础知识 5 20秒")]
        questions = draw_questions(bank, count, self._rng)
        # 填空 grading needs jieba's dictionary: loaded (once) now rather than on the first answer,
        # and only by a contest that has a 填空 question, so a bot that never asks one never pays for it
        prepare(questions)
        limit = time_limit or bank.time_limit or self._default_limit
        contest = Contest(str(ctx.group.id), bank.name, questions, limit, ctx.member.id, ctx.now)
        contest_id = insert_contest(session=ctx.session, group_id=ctx.group.id, contest=contest, now=ctx.now)
        running = RunningContest(contest_id, contest, ctx.group.chat, ctx.group.branch_id)
        self._running.add(ctx.group.id, running)
        self._arm(ctx.group.id, running)
        intro = texts.intro_text(ctx.member.name, bank.name, len(questions), contest.time_limit)
        return [ctx.reply(intro), texts.question_message(running)]

    def stop(self, ctx: Context) -> list[Outgoing]:
        assert ctx.group is not None
        running = self._running.get(ctx.group.id)
        if running is None:
            return [ctx.reply("本群当前没有进行中的竞赛。发送「开始竞赛」发起一场。")]
        if ctx.member.id != running.contest.started_by and not ctx.member.manages(ctx.group.branch_id):
            return [ctx.reply("只有竞赛发起人、本支部的书记、委员或管理员可以结束竞赛。")]
        contest = running.contest
        reveal = contest.finish()
        settle(ctx.session, running, reveal, ctx.now)  # answers already given to the open question count
        save_progress(session=ctx.session, contest_id=running.contest_id, contest=contest, now=ctx.now)
        self._deadlines.cancel(ctx.group.id)
        self._running.remove(ctx.group.id)
        return [ctx.reply(render.reveal_text(reveal), **texts.closing(running, reveal)),
                ctx.reply(render.results_text(contest, ended_early=True))]

    def bank_list_text(self) -> str:
        return texts.bank_list_text(self._catalog)

    def is_running(self, group_id: int) -> bool:
        return group_id in self._running

    def open_question(self, group_id: int) -> Question | None:
        """The question the group's contest is asking, or None when no contest runs there."""
        running = self._running.get(group_id)
        return running.contest.current if running else None

    def answer(self, ctx: Context) -> list[Outgoing] | None:
        """The member's answer to the open question, or None if the text is not an answer (or no
        contest runs in the group)."""
        running = self._running.get(ctx.group.id) if ctx.group is not None else None
        if running is None:
            return None
        contest = running.contest
        number = contest.number
        submission = contest.submit(ctx.member.id, ctx.member.name, ctx.incoming.text, ctx.now, self._rules)
        if submission.outcome is Outcome.CLOSED:  # past the deadline, before the timer's tick
            return [ctx.reply(f"{ctx.member.name}，第 {number} 题作答时间已到，请等待答案揭晓。")]
        if submission.outcome is Outcome.NOT_AN_ANSWER:
            if looks_like_answer(ctx.incoming.text):
                return [ctx.reply(f"{ctx.member.name}，第 {number} 题是{render.format_hint(contest.current)}")]
            return None
        if submission.outcome is Outcome.ALREADY_ANSWERED:
            if ctx.member.id in running.told_twice:
                return []
            running.told_twice.add(ctx.member.id)
            return [ctx.reply(f"{ctx.member.name}，第 {number} 题您已作答（{submission.record.answer}），"
                              "以第一次作答为准。")]
        save_answer(session=ctx.session, contest_id=running.contest_id, question_index=contest.index,
                    question_key=contest.current.key, record=submission.record)
        if ctx.member.branch_id is not None and ctx.member.branch_id == running.branch_id:
            running.branch_answered.add(ctx.member.id)
        branch_size = max(self._branch_size(ctx.session, running.branch_id, ctx.now), 1)
        if len(running.branch_answered) >= branch_size:
            return self._close_question(ctx.session, ctx.group.id, running, ctx.now)  # the reveal says it all
        if self._acknowledge:
            return [ctx.reply(f"{ctx.member.name} 已作答第 {number} 题，答案揭晓前不可更改。")]
        return []

    # ----- deadlines and restart -----

    def resume(self, now: datetime) -> list[Outgoing]:
        """Reload running contests after a restart and re-arm their deadlines; a deadline that passed
        while the bot was down fires at once (App.start fires due timers). Returns notices for groups
        whose contest could not be resumed."""
        notices: list[Outgoing] = []
        with self._db.session() as session:
            for row in running_contests(session=session):
                restored = restore(session, row, self._catalog, now)
                if isinstance(restored, Outgoing):
                    notices.append(restored)
                    continue
                self._running.add(row.group_id, restored)
                self._arm(row.group_id, restored)
            session.commit()
        return notices

    def forget_all(self) -> None:
        """Drop in-memory state after a failed commit and reload it from the database."""
        for group_id in self._running.group_ids():
            self._deadlines.cancel(group_id)
        self._running.clear()
        self.resume(self._now())

    def _arm(self, group_id: int, running: RunningContest) -> None:
        self._deadlines.arm(group_id, running.contest.deadline, self._on_deadline)

    def _on_deadline(self, group_id: int, due: datetime) -> None:
        running = self._running.get(group_id)
        if running is None:
            return
        try:
            with self._db.session() as session:
                messages = self._close_question(session, group_id, running, due)
                session.commit()
        except Exception:
            # nothing was committed: reload from the database, which re-arms this deadline
            log.exception("closing question %d of contest %s failed", running.contest.number, running.contest_id)
            self.forget_all()
            return
        self._send(messages)

    def _close_question(self, session: Session, group_id: int, running: RunningContest,
                        now: datetime) -> list[Outgoing]:
        contest = running.contest
        reveal = contest.close_question(now)
        settle(session, running, reveal, now)
        save_progress(session=session, contest_id=running.contest_id, contest=contest, now=now)
        messages = [Outgoing(running.chat, render.reveal_text(reveal), **texts.closing(running, reveal))]
        running.next_question()
        if contest.finished:
            self._deadlines.cancel(group_id)
            self._running.remove(group_id)
            messages.append(Outgoing(running.chat, render.results_text(contest)))
        else:
            self._arm(group_id, running)
            messages.append(texts.question_message(running))
        return messages
