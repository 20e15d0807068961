"""Question banks imported into the database (readers see live banks only; an import writes through
bot/storage/bank_staging.py), and per-question statistics."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from bot.storage.fast import DriverStatement
from bot.storage.models import BankQuestionRow, BankRow, QuestionStat
from quizzes.model import Bank, Question, QuestionType

__all__ = ["question_row", "load_stored_banks", "stored_bank_stamp", "count_question", "question_stats"]

_COUNT = DriverStatement(
    "INSERT INTO question_stat (bank, question_key, asked, answered, correct) "
    "VALUES (:bank, :key, :asked, :answered, :correct) ON CONFLICT (bank, question_key) DO UPDATE SET "
    "asked = question_stat.asked + excluded.asked, answered = question_stat.answered + excluded.answered, "
    "correct = question_stat.correct + excluded.correct")


def question_row(bank_id: int, position: int, question: Question) -> BankQuestionRow:
    return BankQuestionRow(
        bank_id=bank_id, position=position, key=question.key, type=question.type.value, text=question.text,
        options=json.dumps(list(question.options), ensure_ascii=False), answer=question.answer,
        blanks=json.dumps([list(b) for b in question.blanks], ensure_ascii=False),
        explanation=question.explanation, time_limit=question.time_limit, strictness=question.strictness,
        points=question.points, difficulty=question.difficulty, topic=question.topic,
        source=question.source)


_QUESTION_COLUMNS = (BankQuestionRow.key, BankQuestionRow.type, BankQuestionRow.text, BankQuestionRow.answer,
                     BankQuestionRow.options, BankQuestionRow.blanks, BankQuestionRow.explanation,
                     BankQuestionRow.time_limit, BankQuestionRow.strictness, BankQuestionRow.points,
                     BankQuestionRow.difficulty, BankQuestionRow.topic, BankQuestionRow.source)


def _json_tuple(text: str) -> tuple[Any, ...]:
    return () if text == "[]" else tuple(json.loads(text))  # most questions have no options or no blanks


def load_stored_banks(*, session: Session) -> dict[str, Bank]:
    """Every live bank with its questions. Read as plain rows, not ORM objects, and indexed by the keys
    stored with them: the running bot reloads a bank of 100,000 questions after an import while members
    wait (bench/import_beside_contest.py)."""
    banks = {}
    for row in session.exec(select(BankRow).where(BankRow.state == "live").order_by(BankRow.name)).all():
        questions: list[Question] = []
        by_key: dict[str, Question] = {}
        for (key, kind, text, answer, options, blanks, explanation, time_limit, strictness, points, difficulty,
             topic, source) in session.execute(select(*_QUESTION_COLUMNS).where(BankQuestionRow.bank_id == row.id)
                                       .order_by(BankQuestionRow.position)):
            question = Question(QuestionType(kind), text, answer, _json_tuple(options),
                                tuple(tuple(b) for b in _json_tuple(blanks)), explanation, time_limit, strictness,
                                points, difficulty, topic, source)
            questions.append(question)
            by_key[key] = question
        banks[row.name] = Bank(row.name, tuple(questions), row.description, row.time_limit,
                               f"数据库（导入自 {row.source}）" if row.source else "数据库", by_key=by_key)
    return banks


def stored_bank_stamp(*, session: Session) -> tuple[int, str]:
    """Changes whenever an import changes a stored bank: cheap enough to check before each contest."""
    count, latest = session.exec(select(func.count(), func.max(BankRow.updated_at)).select_from(BankRow)
                                 .where(BankRow.state == "live")).one()
    return count, str(latest)


def count_question(*, session: Session, bank: str, question_key: str, asked: int, answered: int,
                   correct: int) -> None:
    _COUNT.execute(session.connection(), {"bank": bank, "key": question_key, "asked": asked,
                                          "answered": answered, "correct": correct})


def question_stats(*, session: Session, bank: str) -> dict[str, QuestionStat]:
    return {s.question_key: s for s in session.exec(select(QuestionStat).where(QuestionStat.bank == bank)).all()}
