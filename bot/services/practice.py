"""错题本 and 错题练习: a member's wrong answers, and asking them again privately."""

from __future__ import annotations

from bot import render
from bot.messages import Outgoing
from bot.services.answering import judge_reply
from bot.services.catalog import Catalog
from bot.services.context import Context
from bot.services.points_notes import cap_note, over_cap
from bot.storage.mistakes import Mistake, open_mistakes, pending_practice
from bot.storage.models import PracticeAttempt
from bot.storage.points import Award, award_points
from quizzes.grading import Verdict
from quizzes.model import Question
from scheduler.points import Category, PointsRules

__all__ = ["PracticeService"]

BOOK_SIZE = 10  # how many wrong answers 错题本 lists


class PracticeService:
    def __init__(self, *, catalog: Catalog, points: int, rules: PointsRules | None = None) -> None:
        self._catalog, self._points, self._rules = catalog, points, rules or PointsRules()

    def _questions(self, mistakes: list[Mistake]) -> list[tuple[Mistake, Question]]:
        """Mistakes whose question still exists (a bank may have been edited since)."""
        self._catalog.refresh()
        found = [(m, self._catalog.question(m.bank, m.question_key)) for m in mistakes]
        return [(m, q) for m, q in found if q is not None]

    def book(self, ctx: Context) -> list[Outgoing]:
        mistakes = self._questions(open_mistakes(session=ctx.session, member_id=ctx.member.id))
        if not mistakes:
            return [ctx.reply(f"{ctx.member.name}，您的错题本是空的，继续保持！")]
        lines = [f"📕 {ctx.member.name} 的错题本（共 {len(mistakes)} 题，最近的在前）"]
        for number, (mistake, question) in enumerate(mistakes[:BOOK_SIZE], start=1):
            lines.append(f"{number}. [{question.label}] {question.text}")
            lines.append(f"   您的答案：{mistake.answer or '（空）'}；正确答案："
                         + question.answer_display().replace("\n", "\n      "))
            lines += [f"   {line}" for line in render.explanation_lines(question)]
        if len(mistakes) > BOOK_SIZE:
            lines.append(f"……另有 {len(mistakes) - BOOK_SIZE} 题未列出。")
        lines.append("私聊我发送「错题练习」再做一遍，答对即移出错题本。")
        return [ctx.reply("\n".join(lines))]

    def ask(self, ctx: Context) -> list[Outgoing]:
        """A question from the member's 错题本 (the command is for private chats: bot/guards.py)."""
        pending = pending_practice(session=ctx.session, member_id=ctx.member.id)
        if pending is not None and (question := self._catalog.question(pending.bank, pending.question_key)):
            return [ctx.reply(self._show(question, None))]
        mistakes = self._questions(open_mistakes(session=ctx.session, member_id=ctx.member.id))
        if not mistakes:
            return [ctx.reply("错题本里没有题目。可发送「每日一题」继续学习。")]
        mistake, question = mistakes[0]
        ctx.session.add(PracticeAttempt(member_id=ctx.member.id, bank=mistake.bank,
                                        question_key=mistake.question_key, asked_at=ctx.now))
        return [ctx.reply(self._show(question, len(mistakes)))]

    def _show(self, question: Question, remaining: int | None) -> str:
        lines = render.question_text(question, 1, 1, 0).splitlines()
        left = f"，错题本共 {remaining} 题" if remaining else ""
        lines[0] = f"📝 错题练习（{question.label}{left}）"
        return "\n".join(lines)

    def answer(self, ctx: Context) -> list[Outgoing] | None:
        """The answer to the pending practice question, or None when there is none or the text is no answer."""
        if ctx.group is not None:
            return None
        attempt = pending_practice(session=ctx.session, member_id=ctx.member.id)
        question = attempt and self._catalog.question(attempt.bank, attempt.question_key)
        if question is None:
            return None
        verdict = judge_reply(ctx, question, "这道错题")
        if not isinstance(verdict, Verdict):
            return verdict
        attempt.answer, attempt.correct, attempt.answered_at = verdict.given[:500], verdict.correct, ctx.now
        ctx.session.add(attempt)
        # points only the first time this question is answered right in practice
        award = award_points(
            session=ctx.session, member_id=ctx.member.id, amount=self._points, reason="practice",
            source=f"practice:{ctx.member.id}:{attempt.bank}:{attempt.question_key}", now=ctx.now,
            category=Category.QUIZ, cap=self._rules.cap(Category.QUIZ),
            note=attempt.bank) if verdict.correct else Award(False)
        lines = render.verdict_lines(ctx.member.name, question, verdict.correct, verdict.reason, award.paid)
        if note := cap_note(award, self._rules, Category.QUIZ) or over_cap(award):
            lines.append(note)
        ctx.session.flush()
        left = len(self._questions(open_mistakes(session=ctx.session, member_id=ctx.member.id)))
        lines.append(f"错题本还有 {left} 题，发送「错题练习」继续。" if left else "错题本已清空，题目已全部订正。")
        return [ctx.reply("\n".join(lines))]
