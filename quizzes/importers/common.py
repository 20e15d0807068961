"""What the spreadsheet, JSON and YAML readers share: where a question sits, what a reader found in a file,
a question as read (before it is checked), text folding, cell cleaning and an answer as text. The rest of what
they share sits next to this module: type words, options, answer reading and type inference (answer_parsing),
blank splitting (blank_answers), the optional per-question fields (optional_fields), checking a question (build)
and duplicate removal (duplicates).

Nothing here reads files or imports openpyxl; every problem message is Chinese, without the
row/entry number (the caller puts that in the BankProblem's location)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from quizzes.model import Question, QuestionType
from safeio.text import character_problem, length_problem

__all__ = ["BankProblem", "Parsed", "problem_at", "Where", "RawQuestion", "Invalid", "fold", "clean_cell",
           "answer_as_text", "is_empty_answer", "unsafe_text"]


_MAX_MESSAGE = 500


class Invalid(Exception):
    """One problem with one question (message in Chinese, no location)."""


@dataclass(frozen=True)
class Where:
    """Where a question sits in its file: a spreadsheet row (with its sheet when the workbook
    has several) or a 1-based entry number in a JSON/YAML question list."""

    row: int | None = None
    sheet: str = ""
    question_no: int | None = None

    def __str__(self) -> str:
        if self.row is not None:
            return (f"工作表「{self.sheet}」" if self.sheet else "") + f"第 {self.row} 行"
        if self.question_no is not None:
            return f"第 {self.question_no} 题"
        return "文件"


@dataclass(frozen=True)
class BankProblem:
    """One problem found in a bank file, with where it sits (every reader and the YAML loader report these)."""

    file: str
    message: str
    question_no: int | None = None  # 1-based position in the file's question list (YAML, JSON)
    row: int | None = None  # spreadsheet row as Excel shows it, header = row 1 (xlsx, CSV)
    sheet: str = ""  # the worksheet, when the workbook has several

    def __post_init__(self) -> None:
        if len(self.message) > _MAX_MESSAGE:  # a message quoting what it found must not quote a megabyte
            object.__setattr__(self, "message", self.message[:_MAX_MESSAGE] + "…")

    def __str__(self) -> str:
        if self.row is not None:
            where = (f"工作表「{self.sheet}」" if self.sheet else "") + f"第 {self.row} 行"
        elif self.question_no:
            where = f"第 {self.question_no} 题"
        else:
            return f"{self.file}: {self.message}"  # about the whole file
        return f"{self.file}: {where}: {self.message}"


def problem_at(file: str, where: Where | None, message: str) -> BankProblem:
    if where is None:
        return BankProblem(file, message)
    return BankProblem(file, message, where.question_no, where.row, where.sheet)


@dataclass
class Parsed:
    """What a reader found in one file: each good question with where it sits, every problem, and
    the bank fields the file itself gives."""

    questions: list[tuple[Where, Question]] = field(default_factory=list)
    problems: list[BankProblem] = field(default_factory=list)
    name: str = ""
    description: str = ""
    time_limit: int | None = None
    entries: int = 0  # questions (rows, entries) read, good or bad, empty rows not counted


@dataclass
class RawQuestion:
    """One question as read from a row or entry, before it is checked."""

    where: Where
    type_word: str = ""
    text: str = ""
    options: list[str] = field(default_factory=list)
    answer: object = None  # str, list, bool or number, as the file gives it
    explanation: str = ""
    source: str = ""  # 出处
    points: object = None
    difficulty: object = None
    topic: object = None
    strictness: object = None
    time_limit: object = None
    default_type: QuestionType | None = None  # e.g. from a sheet named 多选题
    default_strictness: str | None = None  # the bank's
    problems: list[str] = field(default_factory=list)  # found while reading (gaps in options …)


# ---------------------------------------------------------------- text


def fold(text: str) -> str:
    """Text for comparing: NFKC (full-width -> half-width), case folded, whitespace and punctuation dropped."""
    normalized = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in normalized if not ch.isspace() and not unicodedata.category(ch).startswith("P"))


def clean_cell(value: object) -> str:
    """A cell or JSON scalar as text: 5.0 read back as 5, surrounding (full-width) spaces dropped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip(" \t\r\n\u3000\ufeff\u200b\xa0")


def answer_as_text(answer: object) -> str:
    if isinstance(answer, (list, tuple)):
        return "|".join(clean_cell(a) for a in answer if clean_cell(a))
    if isinstance(answer, bool):
        return "对" if answer else "错"
    return clean_cell(answer)


def is_empty_answer(answer: object) -> bool:
    if isinstance(answer, (list, tuple)):
        return not any(not is_empty_answer(a) for a in answer)
    return not isinstance(answer, bool) and clean_cell(answer) == ""


def unsafe_text(fields: Iterable[tuple[str, object]]) -> list[str]:
    """For each (label, value) whose text is too long for a question (safeio's MAX_CELL_CHARS) or holds a character
    storage or Excel cannot hold, one problem naming the field. Checked before anything else, so that no later
    message quotes a megabyte of text."""
    problems = []
    for label, value in fields:
        for text in _texts(value):
            problem = length_problem(f"「{label}」", text) or character_problem(f"「{label}」", text)
            if problem is not None:
                problems.append(problem)
                break
    return problems


def _texts(value: object) -> Iterator[str]:
    """The text in a value as read: itself, or what lists and mappings (JSON, YAML) hold, keys too."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)
