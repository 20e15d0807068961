"""Judging one answer to one question.

`read_answer` turns what a member typed into an answer (or None for chatter), `judge` grades an answer already
read, and `grade` does both. 填空 answers are graded by quizzes.grading.blank (fair-judge rules, per-question
strictness); `prepare` lets a bank loader precompute a whole bank's 填空 questions in one go."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from quizzes.grading import blank
from quizzes.grading.answers import looks_like_chatter, parse_choice, parse_judge
from quizzes.model import LETTERS, Question, QuestionType

__all__ = ["Verdict", "read_answer", "judge", "grade", "prepare", "hint"]


@dataclass(frozen=True)
class Verdict:
    correct: bool
    given: str  # the answer as understood, shown back to the member
    reason: str = ""  # why it was rejected, when it was (Chinese, for the member)


def read_answer(question: Question, text: str) -> str | None:
    """The member's answer in canonical form, or None if the text is not an answer
    to this kind of question (so ordinary chatter is not taken as a wrong answer)."""
    if question.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        letters = parse_choice(text, len(question.options))
        if letters and question.type is QuestionType.SINGLE and len(letters) != 1:
            return None
        return letters
    if question.type is QuestionType.JUDGE:
        return parse_judge(text)
    stripped = text.strip()
    if not stripped or looks_like_chatter(stripped, max(len(alt) for alts in question.blanks for alt in alts)):
        return None  # 收到 / 好的 / a question back: not an answer that would use up the member's turn
    return stripped


def judge(question: Question, answer: str) -> Verdict:
    """Grade an answer already read by `read_answer`."""
    if question.type is QuestionType.BLANK:
        correct, reason = blank.judge_blank(question, answer)
        return Verdict(correct, answer, reason)
    ok = answer == question.answer
    return Verdict(ok, answer, "" if ok else f"正确答案是 {question.answer}")


def grade(question: Question, text: str) -> Verdict:
    """Read what a member typed and judge it; text that is no answer at all gets a hint on how to answer."""
    answer = read_answer(question, text)
    if answer is None:
        return Verdict(False, text, hint(question))
    return judge(question, answer)


def hint(question: Question) -> str:
    """Why a text is not an answer to `question`, and how to answer it."""
    if question.type is QuestionType.SINGLE:
        last = LETTERS[max(len(question.options), 1) - 1]
        return f"不是有效的答案：请回复一个选项字母（A–{last}），如 A"
    if question.type is QuestionType.MULTIPLE:
        last = LETTERS[max(len(question.options), 1) - 1]
        return f"不是有效的答案：请回复所有正确选项的字母（A–{last}），如 ABD"
    if question.type is QuestionType.JUDGE:
        return "不是有效的答案：请回复「对」或「错」"
    return blank.invalid_reason(len(question.blanks))


def prepare(questions: Iterable[Question]) -> int:
    """Precompute the 填空 questions of a bank (and add their answers to the word list) in one go, so the first
    answers in a contest are graded as fast as the rest. Optional; returns the number of 填空 questions."""
    return blank.prepare(questions)
