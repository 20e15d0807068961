"""What the live contest page shows, as JSON: built once per contest step (ContestStep) for every page open on the
contest, in two versions — a logged-in member's (the reveal's names, the podium, the branch standings) and the
public one (the question's text only: a link alone gives no names or scores)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.services.contests.running import RunningContest
from bot.services.contests.steps import ContestStep
from bot.services.contests.texts import choices
from quizzes.contest import Reveal
from quizzes.model import TYPE_LABELS, QuestionType

__all__ = ["question_part", "step_views", "public_of", "PODIUM"]

PODIUM = 10  # places shown under the results (the chat's results list as many)
NAMES = 30  # names under a reveal: with them all, 10,000 right answers made a 150 KB event for each of 10,000 pages
LETTERS = "ABCDEFGH"


def question_part(running: RunningContest, now: datetime) -> dict[str, Any]:
    """The open question; `remaining_ms` is the server's (the page counts down from it, never by its own clock)."""
    contest = running.contest
    question = contest.current
    return {"key": running.question_key(), "number": contest.number, "total": len(contest.questions),
            "type": question.type.value, "type_label": TYPE_LABELS[question.type], "text": question.text,
            "options": [f"{LETTERS[i]}. {option}" for i, option in enumerate(question.options)],
            "choices": list(choices(contest)), "multiple": question.type is QuestionType.MULTIPLE,
            "seconds": contest.limit_for(question),
            "remaining_ms": max(0, int((contest.deadline - now).total_seconds() * 1000))}


def reveal_part(reveal: Reveal) -> dict[str, Any]:
    question = reveal.question
    return {"number": reveal.number, "answer": question.answer_display(), "explanation": question.explanation,
            "source": question.source, "answered": len(reveal.answers), "correct": len(reveal.correct),
            "names": [record.name for record in reveal.correct[:NAMES]]}


def results_part(running: RunningContest, ended_early: bool) -> dict[str, Any]:
    table = running.contest.standings()
    return {"ended_early": ended_early, "scored": running.scored, "players": len(table),
            "podium": [{"rank": s.rank, "name": s.name, "points": s.points} for s in table[:PODIUM]]}


def step_views(step: ContestStep, now: datetime) -> dict[str, Any]:
    """The member's view after `step` (the public one is `public_of` it)."""
    running = step.running
    view: dict[str, Any] = {"contest": running.contest_id, "round": running.round_id is not None,
                            "bank": running.contest.bank}
    if step.kind == "standings":
        view["phase"] = "standings"
        view["standings"] = {"own": step.own_branch, "rows": [
            {"rank": r.rank, "branch": r.branch, "average": r.average, "took_part": r.took_part,
             "members": r.members} for r in step.standings]}
        return view
    if step.reveal is not None:
        view["reveal"] = reveal_part(step.reveal)
    if running.contest.finished:
        view["phase"] = "results"
        view["results"] = results_part(running, step.ended_early)
    else:
        view["phase"] = "question"
        view["question"] = question_part(running, now)
    return view


def public_of(view: dict[str, Any]) -> dict[str, Any]:
    """What a page without a login may show: the question's text, or that the contest is over."""
    public: dict[str, Any] = {"contest": view["contest"], "phase": "question" if "question" in view else "ended"}
    if "question" in view:
        q = view["question"]
        public["question"] = {k: q[k] for k in ("number", "total", "type_label", "text", "options", "remaining_ms")}
    return public
