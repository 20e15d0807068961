"""Duplicate removal across the questions a reader found: exact repeats dropped, contradicting ones reported."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from quizzes.importers.common import Where, fold
from quizzes.model import Question, QuestionType

__all__ = ["dedupe", "Duplicate"]

_Q = QuestionType


@dataclass(frozen=True)
class Duplicate:
    where: Where  # the repeat that was dropped
    kept: Where  # the first occurrence, kept


_Identity = tuple[str, str, tuple[str, ...]]  # type, stem and options, folded


def _identity(question: Question) -> _Identity:
    return question.type, fold(question.text), tuple(fold(o) for o in question.options)


def _same_answer(first: Question, second: Question) -> bool:
    if first.type is _Q.BLANK:
        if len(first.blanks) != len(second.blanks):
            return False
        # repeats that differ only in extra accepted alternatives are the same question
        return all({fold(a) for a in one} & {fold(a) for a in two} for one, two in zip(first.blanks, second.blanks))
    return first.answer == second.answer


def dedupe(entries: Iterable[tuple[Where, Question]]) -> tuple[list[tuple[Where, Question]], list[Duplicate],
                                                               list[tuple[Where, str]]]:
    """Drop exact repeats (same type, same stem and options after folding NFKC, case, whitespace and
    punctuation), keeping the first. A repeat whose answer contradicts the first is a problem, not a repeat."""
    kept: list[tuple[Where, Question]] = []
    first: dict[_Identity, tuple[Where, Question]] = {}
    duplicates: list[Duplicate] = []
    conflicts: list[tuple[Where, str]] = []
    for where, question in entries:
        identity = _identity(question)
        earlier = first.get(identity)
        if earlier is None:
            first[identity] = (where, question)
            kept.append((where, question))
        elif _same_answer(earlier[1], question):
            duplicates.append(Duplicate(where, earlier[0]))
        else:
            conflicts.append((where, f"与{earlier[0]}是同一道题，但答案不同（{earlier[0]}为「{earlier[1].answer}」，"
                                     f"此处为「{question.answer}」）：请核对后删去错误的一处"))
    return kept, duplicates, conflicts
