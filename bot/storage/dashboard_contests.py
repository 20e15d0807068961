"""竞赛 on the dashboard, read with the viewer's scope in the SQL (bot/web/viewer.py Scope).

A contest is in scope when its group belongs to a branch in scope, or when a member in scope answered in it (a
全委竞赛's part in a group of the whole committee); its figures — participants, answers, correct — count only the
answers of members in scope (for those who see everything: every answer)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from bot.storage.scope import Scope

__all__ = ["ContestLine", "Figures", "Score", "contests", "contest", "contest_banks", "question_figures",
           "scores"]

_CHUNK = 500  # contest ids per IN list


@dataclass(frozen=True)
class Figures:
    participants: int = 0
    answers: int = 0
    correct: int = 0

    @property
    def rate(self) -> float | None:
        return self.correct / self.answers if self.answers else None


@dataclass(frozen=True)
class ContestLine:
    id: int
    group: str
    branch: str
    starter: str
    started_at: datetime
    finished_at: datetime | None
    bank: str
    question_keys: tuple[str, ...]
    round_id: int | None
    scored: bool
    status: str
    figures: Figures = Figures()

    @property
    def kind(self) -> str:
        return "全委竞赛" if self.round_id is not None else "竞赛" if self.scored else "练习赛"


@dataclass(frozen=True)
class Score:
    name: str
    branch: str
    answers: int
    correct: int
    points: int


def _visible(scope: Scope) -> tuple[str, dict[str, object]]:
    """The condition on `c` (contest) and `g` (its group) for a contest in scope."""
    if scope.everything:
        return "1 = 1", {}
    branches, params = scope.branch_filter("g.branch_id")
    members, more = scope.member_filter("vm.id", "vm.branch_id")
    return (f"(({branches}) OR EXISTS (SELECT 1 FROM contest_answer va JOIN member vm ON vm.id = va.member_id "
            f"WHERE va.contest_id = c.id AND {members}))"), {**params, **more}


_SELECT = """
    SELECT c.id, g.name, COALESCE(b.name, ''), COALESCE(s.name, ''), c.started_at, c.finished_at, c.bank,
           c.question_keys, c.round_id, c.scored, c.status
    FROM contest c JOIN chat_group g ON g.id = c.group_id LEFT JOIN branch b ON b.id = g.branch_id
    LEFT JOIN member s ON s.id = c.started_by"""


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _line(row: Any, figures: Figures = Figures()) -> ContestLine:
    started = _when(row[4])
    assert started is not None
    return ContestLine(int(row[0]), row[1], row[2], row[3], started, _when(row[5]), row[6],
                       tuple(json.loads(row[7] or "[]")), row[8], bool(row[9]), row[10], figures)


def contests(session: Session, scope: Scope, *, bank: str | None = None, offset: int = 0,
             limit: int | None = None) -> tuple[list[ContestLine], int]:
    """The contests in scope, newest first (one page, or all when limit is None), with their figures, and how
    many there are in all."""
    condition, params = _visible(scope)
    if bank is not None:
        condition, params = f"{condition} AND c.bank = :bank", {**params, "bank": bank}
    total = session.execute(text(f"""SELECT COUNT(*) FROM contest c JOIN chat_group g ON g.id = c.group_id
                                     WHERE {condition}"""), params).scalar_one()
    page = "" if limit is None else " LIMIT :limit OFFSET :offset"
    rows = session.execute(text(f"{_SELECT} WHERE {condition} ORDER BY c.started_at DESC, c.id DESC{page}"),
                           {**params, "limit": limit, "offset": offset} if limit is not None else params).all()
    figures = _figures(session, scope, [int(row[0]) for row in rows])
    return [_line(row, figures.get(int(row[0]), Figures())) for row in rows], int(total)


def contest(session: Session, scope: Scope, contest_id: int) -> ContestLine | None:
    """One contest, if it is in scope."""
    condition, params = _visible(scope)
    row = session.execute(text(f"{_SELECT} WHERE c.id = :contest AND {condition}"),
                          {**params, "contest": contest_id}).first()
    if row is None:
        return None
    return _line(row, _figures(session, scope, [contest_id]).get(contest_id, Figures()))


def contest_banks(session: Session, scope: Scope) -> list[str]:
    """The banks the contests in scope were drawn from (the bank filter's choices)."""
    condition, params = _visible(scope)
    rows = session.execute(text(f"""SELECT DISTINCT c.bank FROM contest c JOIN chat_group g ON g.id = c.group_id
                                    WHERE {condition} ORDER BY c.bank"""), params).all()
    return [row[0] for row in rows]


def _figures(session: Session, scope: Scope, ids: list[int]) -> dict[int, Figures]:
    condition, params = scope.member_filter()
    found: dict[int, Figures] = {}
    for start in range(0, len(ids), _CHUNK):
        names = {f"c{i}": contest_id for i, contest_id in enumerate(ids[start:start + _CHUNK])}
        for contest_id, people, answers, correct in session.execute(text(f"""
                SELECT a.contest_id, COUNT(DISTINCT a.member_id), COUNT(*),
                       COALESCE(SUM(CASE WHEN a.correct THEN 1 ELSE 0 END), 0)
                FROM contest_answer a JOIN member m ON m.id = a.member_id
                WHERE a.contest_id IN ({", ".join(":" + n for n in names)}) AND {condition}
                GROUP BY a.contest_id"""), {**names, **params}):
            found[int(contest_id)] = Figures(int(people), int(answers), int(correct))
    return found


def question_figures(session: Session, scope: Scope, contest_id: int) -> dict[int, Figures]:
    """Per question (by its index in the contest): who answered, how many answers, how many right."""
    condition, params = scope.member_filter()
    rows = session.execute(text(f"""
        SELECT a.question_index, COUNT(DISTINCT a.member_id), COUNT(*),
               COALESCE(SUM(CASE WHEN a.correct THEN 1 ELSE 0 END), 0)
        FROM contest_answer a JOIN member m ON m.id = a.member_id
        WHERE a.contest_id = :contest AND {condition} GROUP BY a.question_index"""),
                           {**params, "contest": contest_id})
    return {int(index): Figures(int(people), int(answers), int(correct)) for index, people, answers, correct in rows}


def scores(session: Session, scope: Scope, contest_id: int) -> list[Score]:
    """The participants in scope, highest points first."""
    condition, params = scope.member_filter()
    rows = session.execute(text(f"""
        SELECT m.name, COALESCE(b.name, ''), COUNT(*), COALESCE(SUM(CASE WHEN a.correct THEN 1 ELSE 0 END), 0),
               COALESCE(SUM(a.points), 0) AS total
        FROM contest_answer a JOIN member m ON m.id = a.member_id LEFT JOIN branch b ON b.id = m.branch_id
        WHERE a.contest_id = :contest AND {condition}
        GROUP BY m.id, m.name, b.name ORDER BY total DESC, 4 DESC, m.name"""), {**params, "contest": contest_id})
    return [Score(name, branch, int(answers), int(correct), int(points))
            for name, branch, answers, correct, points in rows]
