"""A question on a member's page (每日一题, 错题练习): its text and options as buttons (单选, 判断), boxes (多选) or
a text box (填空); reading the form back into the answer text the chat would have received, refused clearly when
it is no answer to this question (an invalid choice stores nothing)."""

from __future__ import annotations

from dataclasses import dataclass

from bot import render
from bot.web.dashboard import Refused
from bot.web.h5.forms import first
from quizzes.grading import read_answer
from quizzes.model import LETTERS, Question, QuestionType

__all__ = ["QuestionView", "question_view", "answer_of"]

_HINTS = {QuestionType.SINGLE: "请点选一个选项。", QuestionType.MULTIPLE: "请勾选全部正确选项，再点「提交」。",
          QuestionType.JUDGE: "请点选「对」或「错」。", QuestionType.BLANK: "请填写答案，再点「提交」。"}


@dataclass(frozen=True)
class QuestionView:
    key: str
    kind: str  # single | multiple | judge | blank
    label: str  # 单选 …
    text: str
    options: list[tuple[str, str]]  # (letter, option)
    hint: str


def question_view(question: Question) -> QuestionView:
    options = [(LETTERS[i], option) for i, option in enumerate(question.options)]
    return QuestionView(question.key, question.type.value, question.label, question.text, options,
                        _HINTS[question.type])


def answer_of(question: Question, fields: dict[str, list[str]]) -> str:
    """The answer as chat text (「B」, 「AC」, 「对」, a 填空's words); Refused(400) when it is no answer to it."""
    if question.type is QuestionType.MULTIPLE and fields.get("choice"):
        text = "".join(sorted({c.strip().upper() for c in fields["choice"] if c.strip()}))
    else:
        text = first(fields, "answer").strip()
    if not text or read_answer(question, text[:500]) is None:
        raise Refused(400, f"答案无效：这是{render.format_hint(question).replace('回复', '选择')}", "答案无效")
    return text
