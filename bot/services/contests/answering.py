"""The one answer policy of a group contest, for typed answers and card taps alike: which answer counts,
what the member is told and where (the group, or a note only they see), and when a question may close early.

Adapters only translate: a tap arrives as an Incoming with `button` (the choice) and `question_key` (the card it
was on); a note for one member goes out with `private_to`, and each channel shows it on that member's card or
nowhere (never in the group)."""

from __future__ import annotations

from dataclasses import dataclass

from bot import render
from bot.messages import Outgoing
from bot.services.contests import texts
from bot.services.contests.running import RunningContest, parse_question_key
from bot.services.context import Context
from bot.services.directory import BranchCount
from bot.storage.contests import save_answer
from quizzes.contest import Outcome
from quizzes.grading import looks_like_answer
from quizzes.scoring import ScoringRules

__all__ = ["Answered", "check_tap", "take_answer"]


@dataclass(frozen=True)
class Answered:
    replies: list[Outgoing]
    close_now: bool = False  # everyone expected has answered: the caller closes the question


def check_tap(ctx: Context, running: RunningContest | None) -> list[Outgoing] | None:
    """A tap that must not answer the open question (a finished contest's card, another group's, an earlier
    question's, a forged key): the note for the member who tapped; None when the tap may answer."""
    incoming = ctx.incoming
    key = incoming.question_key or ""
    ref = parse_question_key(key)
    user = incoming.sender.user_id
    if ref is None:
        return [texts.private_note(incoming.chat, user, "无法识别这张答题卡，请在最新的题目卡片上作答。", key)]
    if running is None or ref.contest_id != running.contest_id:
        return [texts.private_note(incoming.chat, user, "这张答题卡所在的竞赛已经结束，本次点击不计分。", key)]
    if ref.index < running.contest.index:
        return [texts.private_note(incoming.chat, user, f"第 {ref.index + 1} 题已经结束，请在第 "
                                   f"{running.contest.number} 题的卡片上作答。", key)]
    if ref.index > running.contest.index or running.contest.finished:
        return [texts.private_note(incoming.chat, user, "无法识别这张答题卡，请在最新的题目卡片上作答。", key)]
    return None


def take_answer(ctx: Context, running: RunningContest, rules: ScoringRules, count: BranchCount,
                acknowledge_up_to: int) -> Answered | None:
    """The member's answer (typed or tapped) to the open question; None when typed text is not an answer."""
    contest, incoming, member = running.contest, ctx.incoming, ctx.member
    number, key = contest.number, running.question_key()
    tapped = incoming.button is not None
    small = 0 < acknowledge_up_to and count.known <= acknowledge_up_to  # the group may see a line per answer

    def note(text: str, answer: str = "") -> Outgoing:
        return texts.private_note(incoming.chat, incoming.sender.user_id, text, key, answer)

    def told(text: str) -> Outgoing:  # a typed answer's receipt: in a small group for all to see, else private
        return ctx.reply(text) if small and not tapped else note(text)

    submission = contest.submit(member.id, member.name, incoming.button if tapped else incoming.text,
                                ctx.now, rules)
    if submission.outcome is Outcome.CLOSED:  # past the deadline, before the timer's tick
        return Answered([told(f"{member.name}，第 {number} 题作答时间已到，请等待答案揭晓。")])
    if submission.outcome is Outcome.NOT_AN_ANSWER:
        if tapped:
            return Answered([note(f"这个选项不是第 {number} 题的答案，请重新选择。")])
        if looks_like_answer(incoming.text):
            return Answered([told(f"{member.name}，第 {number} 题是{render.format_hint(contest.current)}")])
        return None
    first = submission.record
    assert first is not None
    if submission.outcome is Outcome.ALREADY_ANSWERED:
        if not tapped and member.id in running.told_twice:
            return Answered([])
        running.told_twice.add(member.id)
        return Answered([note(f"第 {number} 题您已作答（{first.answer}），以第一次作答为准。", first.answer)])
    save_answer(session=ctx.session, contest_id=running.contest_id, question_index=contest.index,
                question_key=contest.current.key, record=first)
    if member.rostered and member.branch_id is not None and member.branch_id == running.branch_id:
        running.expected_answered.add(member.id)
    if running.round_id is None and count.rostered and len(running.expected_answered) >= count.rostered:
        return Answered([], close_now=True)  # the reveal says it all
    if tapped:
        return Answered([note(f"已作答第 {number} 题，答案揭晓前不可更改。", first.answer)])
    if small:
        return Answered([ctx.reply(f"{member.name} 已作答第 {number} 题，答案揭晓前不可更改。")])
    return Answered([])
