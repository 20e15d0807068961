"""每日一题: one question a day for each member, privately or in a group."""

from __future__ import annotations

from bot import render
from bot.messages import Outgoing
from bot.services.answering import judge_reply, note_mistake
from bot.services.catalog import Catalog
from bot.services.context import Context
from bot.services.points_notes import cap_note, over_cap
from bot.storage.banks import count_question
from bot.storage.daily import daily_answer
from bot.storage.models import DailyAnswer
from bot.storage.points import Award, award_points
from quizzes.daily import daily_question
from quizzes.grading import Verdict
from quizzes.model import Question
from scheduler.points import Category, PointsRules

__all__ = ["DailyService"]


class DailyService:
    def __init__(self, *, catalog: Catalog, points: int, salt: int, rules: PointsRules | None = None) -> None:
        self._catalog, self._points, self._salt = catalog, points, salt
        self._rules = rules or PointsRules()

    def _today(self, ctx: Context) -> DailyAnswer | None:
        return daily_answer(session=ctx.session, member_id=ctx.member.id, day=ctx.now.date())

    def _question(self, row: DailyAnswer) -> Question | None:
        return self._catalog.question(row.bank, row.question_key)

    def _show(self, question: Question) -> str:
        text = render.question_text(question, 1, 1, 0, title="每日一题").splitlines()
        text[0] = f"📅 每日一题（{question.label}）"
        return "\n".join(text) + f"\n答对计党建积分 {self._points} 分，每天一次。"

    def ask(self, ctx: Context) -> list[Outgoing]:
        row = self._today(ctx)
        if row is not None and row.answer is not None:
            result = "答对了 ✅" if row.correct else "未答对"
            return [ctx.reply(f"{ctx.member.name}，今天的每日一题您已完成（{result}），明天再来吧！")]
        if row is not None and (question := self._question(row)) is not None:
            return [ctx.reply(self._show(question))]
        self._catalog.refresh()
        bank = self._catalog.pick(None)
        if bank is None:
            return [ctx.reply("还没有可用的题库，请管理员添加题库后再试。")]
        question = daily_question(bank.questions, ctx.member.id, ctx.now.date(), self._salt)
        if row is None:
            row = DailyAnswer(member_id=ctx.member.id, day=ctx.now.date().isoformat(), bank=bank.name,
                              question_key=question.key, asked_at=ctx.now)
        else:
            row.bank, row.question_key = bank.name, question.key
        ctx.session.add(row)
        return [ctx.reply(self._show(question))]

    def answer(self, ctx: Context) -> list[Outgoing] | None:
        """The answer to today's pending question, or None if there is none or the text is no answer."""
        row = self._today(ctx)
        if row is None or row.answer is not None:
            return None
        question = self._question(row)
        if question is None:
            return None
        verdict = judge_reply(ctx, question, "今天的每日一题")
        if not isinstance(verdict, Verdict):
            return verdict
        row.answer, row.correct, row.answered_at = verdict.given[:500], verdict.correct, ctx.now
        ctx.session.add(row)
        award = Award(False)
        if verdict.correct:
            award = award_points(session=ctx.session, member_id=ctx.member.id, amount=self._points, reason="daily",
                                 source=f"daily:{ctx.member.id}:{row.day}", now=ctx.now,
                                 category=Category.QUIZ, cap=self._rules.cap(Category.QUIZ), note=row.bank)
        count_question(session=ctx.session, bank=row.bank, question_key=row.question_key, asked=1, answered=1,
                       correct=int(verdict.correct))
        note_mistake(ctx, row.bank, question, verdict)
        lines = render.verdict_lines(ctx.member.name, question, verdict.correct, verdict.reason, award.paid)
        if note := cap_note(award, self._rules, Category.QUIZ) or over_cap(award):
            lines.append(note)
        lines.append("明天请继续作答新的每日一题。" if verdict.correct
                     else "答错的题已记入「错题本」，明天请继续作答新的每日一题。")
        return [ctx.reply("\n".join(lines))]
