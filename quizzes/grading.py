"""Judging one answer to one question."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from quizzes.answers import parse_choice, parse_judge
from quizzes.model import Question, QuestionType

__all__ = ["Verdict", "read_answer", "grade"]

# Everything that is not a letter, digit or CJK character is noise in a blank answer.
_NOISE = re.compile(r"[^\w\u4e00-\u9fff]+")


@dataclass(frozen=True)
class Verdict:
    correct: bool
    given: str  # the answer as understood, shown back to the member
    reason: str = ""  # why it was rejected, when it was


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
    return stripped or None


def _blank_key(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text)).lower()


def grade(question: Question, answer: str) -> Verdict:
    """Grade an answer already read by `read_answer`."""
    if question.type is QuestionType.BLANK:
        accepted = ["".join(parts) for parts in _combinations(question.blanks)]
        ok = _blank_key(answer) in {_blank_key(a) for a in accepted}
        return Verdict(ok, answer, "" if ok else f"正确答案是「{question.answer}」")
    ok = answer == question.answer
    return Verdict(ok, answer, "" if ok else f"正确答案是 {question.answer}")


def _combinations(blanks: tuple[tuple[str, ...], ...]) -> list[list[str]]:
    combos: list[list[str]] = [[]]
    for alternatives in blanks:
        combos = [combo + [alt] for combo in combos for alt in alternatives]
    return combos
