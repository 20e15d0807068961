"""The question model shared by banks, grading and contests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["QuestionType", "Question", "Bank", "TYPE_LABELS", "LETTERS"]

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


@dataclass(frozen=True)
class Question:
    """One question. `answer` is canonical: letters ("ABD") for choice questions,
    "对"/"错" for judge, and for blanks the first accepted answer (see `accepted`)."""

    type: QuestionType
    text: str
    answer: str
    options: tuple[str, ...] = ()
    accepted: tuple[str, ...] = ()
    explanation: str = ""
    time_limit: int | None = None

    @property
    def key(self) -> str:
        """A stable identity that survives reordering the bank file, so a contest
        in progress finds its questions again after a restart."""
        raw = "\x1f".join([self.type.value, self.text, *self.options])
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]

    @property
    def label(self) -> str:
        return TYPE_LABELS[self.type]

    def answer_display(self) -> str:
        if self.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            return "、".join(f"{letter}. {self.options[LETTERS.index(letter)]}" for letter in self.answer)
        if self.type is QuestionType.BLANK and len(self.accepted) > 1:
            return " / ".join(self.accepted)
        return self.answer


@dataclass(frozen=True)
class Bank:
    name: str
    questions: tuple[Question, ...]
    description: str = ""
    time_limit: int | None = None
    source: str = ""
    by_key: dict[str, Question] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.by_key:
            self.by_key.update((q.key, q) for q in self.questions)
