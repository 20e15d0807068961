"""Checking a question as read (RawQuestion) into a Question, with every problem found in it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from quizzes.importers.answer_parsing import TYPE_HINT, choice_answer, infer_type, judge_answer, parse_type_word
from quizzes.importers.blank_answers import split_blank_answer
from quizzes.importers.common import Invalid, RawQuestion, answer_as_text, is_empty_answer, unsafe_text
from quizzes.importers.optional_fields import (
    parse_difficulty,
    parse_points,
    parse_strictness,
    parse_time_limit,
    parse_topic,
)
from quizzes.model import LETTERS, Question, QuestionFields, QuestionType
from safeio.text import plain_text

__all__ = ["build_question"]

_Q = QuestionType
_T = TypeVar("_T")


def build_question(raw: RawQuestion) -> tuple[Question | None, list[str]]:
    """The checked question, or None with every problem found in it."""
    problems = list(raw.problems)
    labelled = [(f"选项{LETTERS[i]}" if i < len(LETTERS) else "选项", o) for i, o in enumerate(raw.options)]
    unsafe = unsafe_text([("题型", raw.type_word), ("题干", raw.text), *labelled, ("答案", raw.answer),
                          ("解析", raw.explanation), ("出处", raw.source), ("分值", raw.points),
                          ("难度", raw.difficulty), ("知识点", raw.topic), ("判分", raw.strictness),
                          ("限时", raw.time_limit)])
    if unsafe:
        return None, problems + unsafe
    # in this order, so that a row's problems are listed as before: 分值, 难度, 知识点, 判分, 限时
    points = _parsed(parse_points, raw.points, None, problems)
    difficulty = _parsed(parse_difficulty, raw.difficulty, "", problems)
    topic = _parsed(parse_topic, raw.topic, "", problems)
    strictness = _parsed(parse_strictness, raw.strictness, None, problems)
    time_limit = _parsed(parse_time_limit, raw.time_limit, None, problems)
    if strictness is None:
        strictness = raw.default_strictness
    extra = QuestionFields(explanation=plain_text(raw.explanation).strip(), source=plain_text(raw.source).strip(),
                           points=points, difficulty=difficulty, topic=topic, time_limit=time_limit,
                           strictness=strictness)

    text = plain_text(raw.text).strip()
    if not text:
        problems.append("缺少题干")
    missing_answer = is_empty_answer(raw.answer)
    if missing_answer:
        problems.append("缺少答案")
    options = [plain_text(o).strip() for o in raw.options]
    gaps = [LETTERS[i] for i, option in enumerate(options[:len(LETTERS)]) if not option]
    if gaps:
        problems.append(f"选项{'、'.join(gaps)} 为空：选项应从 A 起连续填写，中间不能留空")
    if len(options) > len(LETTERS):
        problems.append(f"选项最多 {len(LETTERS)} 个（A–{LETTERS[-1]}），本题有 {len(options)} 个")
        options = options[:len(LETTERS)]

    qtype: QuestionType | None = None
    indefinite = False
    if raw.type_word.strip():
        parsed = parse_type_word(raw.type_word)
        if parsed is None:
            problems.append(f"题型「{raw.type_word.strip()}」无法识别，{TYPE_HINT}")
        else:
            qtype, indefinite = parsed
    elif raw.default_type is not None:
        qtype = raw.default_type
    elif not missing_answer:
        try:
            qtype = infer_type(options, raw.answer)
        except Invalid as exc:
            problems.append(str(exc))
    if qtype is None or missing_answer:
        return None, problems

    answer_text = answer_as_text(raw.answer)
    try:
        if qtype in (_Q.SINGLE, _Q.MULTIPLE):
            if len(options) < 2:
                raise Invalid(f"{'单选' if qtype is _Q.SINGLE else '多选'}题至少需要两个选项，本题有 {len(options)} 个")
            qtype, letters = choice_answer(qtype, answer_text, options, indefinite)
            question = Question(qtype, text, letters, tuple(options), **extra)
        elif qtype is _Q.JUDGE:
            verdict = judge_answer(raw.answer, options)
            question = Question(qtype, text, verdict, **extra)
        else:
            if options:
                raise Invalid(f"填空题不应有选项（本题填了 {len(options)} 个选项）：请删去选项，或把题型改为单选/多选")
            question = Question.blank(text, split_blank_answer(raw.answer, text), **extra)
    except Invalid as exc:
        problems.append(str(exc))
        return None, problems
    return (None if problems else question), problems


def _parsed(parse: Callable[[object], _T], value: object, absent: _T, problems: list[str]) -> _T:
    """`parse(value)`, or `absent` with the problem noted (the question is then rejected, with all its problems)."""
    try:
        return parse(value)
    except Invalid as exc:
        problems.append(str(exc))
        return absent
