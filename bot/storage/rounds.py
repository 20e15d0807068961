"""The 全委竞赛's own row (contest_round): its questions and where it stands; each group's part is a contest row
with the round's id (bot/storage/contests.py)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import Session, col, select

from bot.storage.models import ContestRound, ContestRow

__all__ = ["insert_round", "running_rounds", "save_round", "contests_of_round"]


def insert_round(*, session: Session, bank: str, question_keys: list[str], time_limit: int, started_by: int,
                 now: datetime) -> int:
    row = ContestRound(bank=bank, question_keys=json.dumps(question_keys), time_limit=time_limit,
                       started_by=started_by, question_started_at=now, started_at=now)
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def save_round(*, session: Session, round_id: int, index: int, opened: datetime, finished: bool,
               now: datetime) -> None:
    row = session.get(ContestRound, round_id)
    assert row is not None
    row.current_index, row.question_started_at = index, opened
    if finished:
        row.status, row.finished_at = "finished", now
    session.add(row)


def running_rounds(*, session: Session) -> list[ContestRound]:
    return list(session.exec(select(ContestRound).where(ContestRound.status == "running")))


def contests_of_round(*, session: Session, round_id: int) -> list[ContestRow]:
    return list(session.exec(select(ContestRow).where(ContestRow.round_id == round_id).order_by(col(ContestRow.id))))
