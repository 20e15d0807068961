"""Reading a member's reply to a question asked to them alone (每日一题, 错题练习)."""

from __future__ import annotations

from bot import render
from bot.messages import Outgoing
from bot.services.context import Context
from bot.storage.mistakes import record_mistakes
from quizzes.grading import Verdict, judge, looks_like_answer, read_answer
from quizzes.model import Question

__all__ = ["judge_reply", "note_mistake"]


def judge_reply(ctx: Context, question: Question, subject: str) -> Verdict | list[Outgoing] | None:
    """The verdict on the reply; a hint when it tries to answer in the wrong form (`对` to a 单选);
    None when it is no answer at all (chatter, or another command's business)."""
    answer = read_answer(question, ctx.incoming.text)
    if answer is not None:
        return judge(question, answer)
    if looks_like_answer(ctx.incoming.text):
        return [ctx.reply(f"{ctx.member.name}，{subject}是{render.format_hint(question)}")]
    return None


def note_mistake(ctx: Context, bank: str, question: Question, verdict: Verdict) -> None:
    if not verdict.correct:
        record_mistakes(session=ctx.session, bank=bank, question_key=question.key,
                        wrong=[(ctx.member.id, verdict.given)], at=ctx.now)
