"""Running knowledge contests in groups: the engine's state kept in memory and in the database."""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, select

from bot import render
from bot.messages import Chat, Outgoing
from bot.services.catalog import Catalog
from bot.services.context import Context
from bot.storage.banks import count_question
from bot.storage.contests import (
    award_question,
    contest_history,
    insert_contest,
    running_contests,
    save_answer,
    save_progress,
)
from bot.storage.db import Database
from bot.storage.mistakes import record_mistakes
from bot.storage.models import ChatGroup, ContestAnswer, ContestRow, Member
from bot.storage.people import branch_roster_size
from bot.timers import Timers
from quizzes.contest import Contest, Outcome, Reveal, draw_questions
from quizzes.grading import looks_like_answer, prepare
from quizzes.model import Question
from quizzes.scoring import ScoringRules

__all__ = ["ContestService"]

log = logging.getLogger(__name__)

_ROSTER_TTL = timedelta(minutes=1)


@dataclass
class _Active:
    contest_id: int
    contest: Contest
    chat: Chat
    branch_id: int | None
    told_twice: set[int] = field(default_factory=set)  # members told that only their first answer counts
    # who of the group's own branch answered the open question: when all of them have,
    # the question closes early (a guest from another branch does not count)
    branch_answered: set[int] = field(default_factory=set)


class ContestService:
    def __init__(self, *, db: Database, catalog: Catalog, timers: Timers, rules: ScoringRules,
                 rng: random.Random, deliver: Callable[[list[Outgoing]], None], default_count: int,
                 max_count: int, default_limit: int, acknowledge: bool,
                 now: Callable[[], datetime]) -> None:
        self._now = now
        self._db, self._catalog, self._timers, self._rules, self._rng = db, catalog, timers, rules, rng
        self._deliver = deliver
        self._default_count, self._max_count, self._default_limit = default_count, max_count, default_limit
        self._acknowledge = acknowledge
        self._active: dict[int, _Active] = {}
        self._roster: dict[int | None, tuple[datetime, int]] = {}

    # ----- commands -----

    def start(self, ctx: Context, bank_name: str | None, count: int | None,
              time_limit: int | None = None) -> list[Outgoing]:
        assert ctx.group is not None
        active = self._active.get(ctx.group.id)
        if active is not None:
            contest = active.contest
            text = "本群的竞赛正在进行中，当前题目：\n" + render.question_text(
                contest.current, contest.number, len(contest.questions), contest.limit_for(contest.current))
            return [ctx.reply(text, choices=self._choices(contest), multiple=contest.current.type.value == "multiple",
                              key=f"contest:{active.contest_id}:q{contest.index}")]
        self._catalog.refresh()
        bank = self._catalog.pick(bank_name)
        glued = re.fullmatch(r"(.*\D)(\d+)[题道]?", bank_name or "")
        if bank is None and glued and count is None and glued[1] in self._catalog:  # 开始竞赛党建基础知识3
            bank, count = self._catalog.get(glued[1]), int(glued[2])
        if bank is None and bank_name is None and self._catalog.banks():
            return [ctx.reply(f"配置的默认题库（quizzes.default_bank）不存在，请管理员检查配置。{self.bank_list_text()}")]
        if bank is None:
            return [ctx.reply(self._unknown_bank_text(bank_name))]
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
        active = _Active(contest_id, contest, ctx.group.chat, ctx.group.branch_id)
        self._active[ctx.group.id] = active
        self._arm(ctx.group.id, active)
        intro = (f"📣 {ctx.member.name} 发起了知识竞赛：{bank.name}，共 {len(questions)} 题，每题限时 "
                 f"{contest.time_limit} 秒。\n答题越快得分越高，连续答对有奖励，以第一次作答为准。")
        return [ctx.reply(intro), self._question_message(active)]

    def stop(self, ctx: Context) -> list[Outgoing]:
        assert ctx.group is not None
        active = self._active.get(ctx.group.id)
        if active is None:
            return [ctx.reply("本群当前没有进行中的竞赛。发送「开始竞赛」发起一场。")]
        if ctx.member.id != active.contest.started_by and ctx.member.role not in ("admin", "secretary"):
            return [ctx.reply("只有竞赛发起人、书记或管理员可以结束竞赛。")]
        contest = active.contest
        reveal = contest.finish()
        self._settle(ctx.session, active, reveal, ctx.now)  # answers already given to the open question count
        save_progress(session=ctx.session, contest_id=active.contest_id, contest=contest, now=ctx.now)
        self._timers.cancel(self._timer_key(ctx.group.id))
        del self._active[ctx.group.id]
        return [ctx.reply(render.reveal_text(reveal), **self._closing(active, reveal)),
                ctx.reply(render.results_text(contest, ended_early=True))]

    def is_running(self, group_id: int) -> bool:
        return group_id in self._active

    def open_question(self, group_id: int) -> Question | None:
        active = self._active.get(group_id)
        return active.contest.current if active else None

    def answer(self, ctx: Context) -> list[Outgoing] | None:
        """The member's answer to the open question, or None if the text is not an answer."""
        assert ctx.group is not None
        active = self._active.get(ctx.group.id)
        if active is None:
            return None
        contest = active.contest
        number = contest.number
        submission = contest.submit(ctx.member.id, ctx.member.name, ctx.incoming.text, ctx.now, self._rules)
        if submission.outcome is Outcome.CLOSED:  # past the deadline, before the timer's tick
            return [ctx.reply(f"{ctx.member.name}，第 {number} 题作答时间已到，请等待答案揭晓。")]
        if submission.outcome is Outcome.NOT_AN_ANSWER:
            if looks_like_answer(ctx.incoming.text):
                return [ctx.reply(f"{ctx.member.name}，第 {number} 题是{render.format_hint(contest.current)}")]
            return None
        if submission.outcome is Outcome.ALREADY_ANSWERED:
            if ctx.member.id in active.told_twice:
                return []
            active.told_twice.add(ctx.member.id)
            return [ctx.reply(f"{ctx.member.name}，第 {number} 题您已作答（{submission.record.answer}），"
                              "以第一次作答为准。")]
        save_answer(session=ctx.session, contest_id=active.contest_id, question_index=contest.index,
                    question_key=contest.current.key, record=submission.record)
        if ctx.member.branch_id is not None and ctx.member.branch_id == active.branch_id:
            active.branch_answered.add(ctx.member.id)
        if len(active.branch_answered) >= self._roster_size(ctx.session, active.branch_id):
            return self._close_question(ctx.session, ctx.group.id, active, ctx.now)  # the reveal says it all
        if self._acknowledge:
            return [ctx.reply(f"{ctx.member.name} 已作答第 {number} 题，答案揭晓前不可更改。")]
        return []

    # ----- timers and restart -----

    def resume(self, now: datetime) -> list[Outgoing]:
        """Reload running contests after a restart and re-arm their timers; a deadline
        that passed while the bot was down fires at once (App.start fires due timers).
        Returns notices for groups whose contest could not be resumed."""
        notices: list[Outgoing] = []
        with self._db.session() as session:
            for row in running_contests(session=session):
                group = session.get(ChatGroup, row.group_id)
                bank = self._catalog.get(row.bank)
                keys = json.loads(row.question_keys)
                questions = tuple(bank.by_key[k] for k in keys if k in bank.by_key) if bank else ()
                chat = Chat(group.channel, group.external_id, True, group.name)
                if len(questions) != len(keys):
                    notices.append(self._abandon(session, row, chat, now))
                    continue
                members = session.exec(select(Member.id, Member.name, Member.branch_id).join(
                    ContestAnswer, ContestAnswer.member_id == Member.id).where(
                    ContestAnswer.contest_id == row.id)).all()
                names = {m_id: name for m_id, name, _ in members}
                branches = {m_id: branch_id for m_id, _, branch_id in members}
                contest = Contest.restore(
                    group_key=str(row.group_id), bank=row.bank, questions=questions, time_limit=row.time_limit,
                    started_by=row.started_by, index=row.current_index,
                    question_started_at=row.question_started_at, finished=False,
                    history=contest_history(session=session, contest_id=row.id, names=names))
                active = _Active(row.id, contest, chat, group.branch_id)
                active.branch_answered = {m for m in contest.answers if branches.get(m) == group.branch_id}
                self._active[row.group_id] = active
                self._arm(row.group_id, active)
                log.info("resumed contest %s in group %s at question %d", row.id, group.name, contest.number)
            session.commit()
        return notices

    def _abandon(self, session: Session, row: ContestRow, chat: Chat, now: datetime) -> Outgoing:
        """End a contest whose questions can no longer be found (its bank was removed or
        edited while the bot was down); answers already given to the open question count."""
        log.warning("contest %s: bank %r changed or is missing; ending it", row.id, row.bank)
        open_answers = [record for index, record in contest_history(session=session, contest_id=row.id, names={})
                        if index == row.current_index]
        award_question(session=session, contest_id=row.id, question_index=row.current_index,
                       records=open_answers, now=now)
        row.status, row.finished_at = "finished", now
        session.add(row)
        return Outgoing(chat, f"本群进行中的知识竞赛（{row.bank}）因题库已变更或被移除而结束，"
                              "已作答题目的积分照常计入。")

    def _arm(self, group_id: int, active: _Active) -> None:
        self._timers.schedule(self._timer_key(group_id), active.contest.deadline,
                              lambda due: self._on_deadline(group_id, due))

    @staticmethod
    def _timer_key(group_id: int) -> str:
        return f"contest:{group_id}"

    def _on_deadline(self, group_id: int, due: datetime) -> None:
        active = self._active.get(group_id)
        if active is None:
            return
        try:
            with self._db.session() as session:
                messages = self._close_question(session, group_id, active, due)
                session.commit()
        except Exception:
            # nothing was committed: reload from the database, which re-arms this deadline
            log.exception("closing question %d of contest %s failed", active.contest.number, active.contest_id)
            self.forget_all()
            return
        self._deliver(messages)

    def _close_question(self, session: Session, group_id: int, active: _Active, now: datetime) -> list[Outgoing]:
        contest = active.contest
        reveal = contest.close_question(now)
        self._settle(session, active, reveal, now)
        save_progress(session=session, contest_id=active.contest_id, contest=contest, now=now)
        messages = [Outgoing(active.chat, render.reveal_text(reveal), **self._closing(active, reveal))]
        active.told_twice.clear()
        active.branch_answered.clear()
        if contest.finished:
            self._timers.cancel(self._timer_key(group_id))
            del self._active[group_id]
            messages.append(Outgoing(active.chat, render.results_text(contest)))
        else:
            self._arm(group_id, active)
            messages.append(self._question_message(active))
        return messages

    @staticmethod
    def _settle(session: Session, active: _Active, reveal: Reveal, now: datetime) -> None:
        """A question closed: its points go to the ledger, its statistics are counted."""
        award_question(session=session, contest_id=active.contest_id, question_index=reveal.number - 1,
                       records=list(reveal.answers), now=now)
        count_question(session=session, bank=active.contest.bank, question_key=reveal.question.key, asked=1,
                       answered=len(reveal.answers), correct=len(reveal.correct))
        record_mistakes(session=session, bank=active.contest.bank, question_key=reveal.question.key,
                        wrong=[(a.member_id, a.answer) for a in reveal.answers if not a.correct], at=now)

    # ----- rendering helpers -----

    def _question_message(self, active: _Active) -> Outgoing:
        contest = active.contest
        text = render.question_text(contest.current, contest.number, len(contest.questions),
                                    contest.limit_for(contest.current))
        return Outgoing(active.chat, text, choices=self._choices(contest),
                        multiple=contest.current.type.value == "multiple",
                        key=f"contest:{active.contest_id}:q{contest.index}")

    @staticmethod
    def _closing(active: _Active, reveal: Reveal) -> dict[str, str]:
        """What tells a channel which question's card to close, and with which answer."""
        return {"closes": f"contest:{active.contest_id}:q{reveal.number - 1}",
                "answer": reveal.question.answer_display()}

    @staticmethod
    def _choices(contest: Contest) -> tuple[str, ...]:
        question = contest.current
        if question.options:
            return tuple("ABCDEFGH"[: len(question.options)])
        return ("对", "错") if question.type.value == "judge" else ()

    def _roster_size(self, session: Session, branch_id: int | None) -> int:
        """Members of the branch, recounted at least once a minute: a roster import made
        by another process while a contest runs is seen."""
        now = self._now()
        cached = self._roster.get(branch_id)
        if cached is None or now - cached[0] > _ROSTER_TTL:
            cached = (now, branch_roster_size(session=session, branch_id=branch_id))
            self._roster[branch_id] = cached
        return max(cached[1], 1)

    def forget_all(self) -> None:
        """Drop in-memory state after a failed commit and reload it from the database."""
        for group_id in list(self._active):
            self._timers.cancel(self._timer_key(group_id))
        self._active.clear()
        self._roster.clear()
        self.resume(self._now())

    def roster_changed(self, branch_id: int | None) -> None:
        self._roster.pop(branch_id, None)

    def _unknown_bank_text(self, name: str | None) -> str:
        banks = self._catalog.banks()
        if not banks:
            return self.bank_list_text()
        broken = (f"\n另有 {self._catalog.broken_files} 个题库文件有误未能加载，请管理员查看启动时的提示。"
                  if self._catalog.broken_files else "")
        return f"没有找到题库「{name}」。{self.bank_list_text()}\n例如：开始竞赛 {banks[0].name} 5{broken}"

    def bank_list_text(self) -> str:
        self._catalog.refresh()
        banks = self._catalog.banks()
        if not banks:
            return "还没有可用的题库，请管理员导入题库（studybot bank import）或在 banks/ 目录中添加题库文件。"
        return "可用的题库：\n" + "\n".join(
            f"· {b.name}（{len(b.questions)} 题）{('：' + b.description) if b.description else ''}" for b in banks)
