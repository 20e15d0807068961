"""The question model shared by banks, grading and contests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TypedDict, Unpack

__all__ = ["QuestionType", "Question", "QuestionFields", "Bank", "TYPE_LABELS", "LETTERS"]

LETTERS = "ABCDEFGH"


class QuestionType(StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    JUDGE = "judge"
    BLANK = "blank"


TYPE_LABELS = {
    QuestionType.SINGLE: "单选",
    QuestionType.MULTIPLE: "多选",
    QuestionType.JUDGE: "判断",
    QuestionType.BLANK: "填空",
}


class QuestionFields(TypedDict, total=False):
    """A question's optional fields, as the bank readers gather them before building the Question."""

    explanation: str
    time_limit: int | None
    strictness: str | None
    points: float | None
    difficulty: str
    topic: str
    source: str


@dataclass(frozen=True)
class Question:
    """One question. `answer` is canonical: letters ("ABD") for choice questions,
    "对"/"错" for judge, and for blanks the first accepted answer of each blank joined by 、.
    `blanks` holds, for a 填空 question, each blank's accepted answers in order."""

    type: QuestionType
    text: str
    answer: str
    options: tuple[str, ...] = ()
    blanks: tuple[tuple[str, ...], ...] = ()
    explanation: str = ""
    time_limit: int | None = None
    strictness: str | None = None  # 填空 grading: exact | normal | lenient; None = the bank's
    points: float | None = None  # 分值, as the bank gives it
    difficulty: str = ""  # 难度
    topic: str = ""  # 知识点
    source: str = ""  # 出处: the document and article the answer rests on (「《中国共产党章程》第十条」)

    def __post_init__(self) -> None:
        if self.type is QuestionType.BLANK and not self.blanks:
            object.__setattr__(self, "blanks", ((self.answer,),))  # a frozen dataclass: set once here

    @classmethod
    def blank(cls, text: str, blanks: list[list[str]] | tuple[tuple[str, ...], ...],
              **extra: Unpack[QuestionFields]) -> Question:
        frozen = tuple(tuple(alternatives) for alternatives in blanks)
        return cls(QuestionType.BLANK, text, "、".join(alts[0] for alts in frozen), blanks=frozen, **extra)

    @cached_property
    def key(self) -> str:
        """A stable identity that survives reordering the bank file, so a contest
        in progress finds its questions again after a restart. Computed once: every answer asks for it."""
        raw = "\x1f".join([self.type.value, self.text, *self.options])
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]

    @property
    def label(self) -> str:
        return TYPE_LABELS[self.type]

    def answer_display(self) -> str:
        if self.type is QuestionType.SINGLE:
            return "、".join(f"{letter}. {self.options[LETTERS.index(letter)]}" for letter in self.answer)
        if self.type is QuestionType.MULTIPLE:
            # the letters, then one option a line: option texts may contain 、 themselves
            return "\n".join([self.answer, *(f"{letter}. {self.options[LETTERS.index(letter)]}"
                                             for letter in self.answer)])
        if self.type is QuestionType.BLANK:
            main = "；".join(alternatives[0] for alternatives in self.blanks)
            others = [alt for alternatives in self.blanks for alt in alternatives[1:]]
            if not others:
                return main
            more = "等" if len(others) > 2 else ""
            return f"{main}（也可答：{'、'.join(others[:2])}{more}）"
        return self.answer


@dataclass(frozen=True)
class Bank:
    name: str
    questions: tuple[Question, ...]
    description: str = ""
    time_limit: int | None = None
    source: str = ""
    reviewed: str = ""  # who checked the bank against its sources, and when; "" until someone has
    by_key: dict[str, Question] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.by_key:
            self.by_key.update((q.key, q) for q in self.questions)
