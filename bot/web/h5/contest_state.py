"""The live contest page's state: the contest found by its id (running, or ended), who may see its names and answer
it, and the state a page reads when it opens or reconnects (the current question with the time left, whether this
member already answered and what)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.services.contests.running import RunningContest
from bot.services.contests.steps import ContestStep
from bot.storage.branches import group_by_id
from bot.storage.models import ContestRow
from bot.web.dashboard import Dashboard, Refused
from bot.web.h5.broker import Broker
from bot.web.h5.contest_view import public_of, question_part, step_views
from bot.web.viewer import Viewer

__all__ = ["Found", "find", "takes_part", "state_of", "publish_step", "contest_id_of"]

ENDED = "本场竞赛已经结束，作答不计分。"
OTHER_BRANCH = "这是其他支部的竞赛，您可以查看题目，但不能作答。"


@dataclass(frozen=True)
class Found:
    contest_id: int
    running: RunningContest | None  # None: the contest ended (or was left behind by a restart)
    branch_id: int | None


def contest_id_of(text: str) -> int:
    if not text.isdigit() or len(text) > 12:
        raise Refused(404, "没有这场竞赛，请检查链接是否完整。", "找不到竞赛")
    return int(text)


def find(dash: Dashboard, text: str) -> Found:
    """The contest the page names, or Refused(404)."""
    contest_id = contest_id_of(text)
    running = dash.app.contests.by_id(contest_id)
    if running is not None:
        return Found(contest_id, running, running.branch_id)
    with dash.app.db.session() as session:
        row = session.get(ContestRow, contest_id)
        if row is None:
            raise Refused(404, "没有这场竞赛，请检查链接是否完整。", "找不到竞赛")
        return Found(contest_id, None, group_by_id(session=session, group_id=row.group_id).branch_id)


def takes_part(viewer: Viewer | None, found: Found) -> bool:
    """Sees the names and may answer: a member of the contest's branch, whoever manages it, the committee."""
    if viewer is None:
        return False
    return found.branch_id is None or viewer.branch_id == found.branch_id or viewer.scope.sees_branch(found.branch_id)


def state_of(dash: Dashboard, broker: Broker, found: Found, viewer: Viewer | None) -> dict[str, Any]:
    """What the page shows now: the member's view (with `mine`) or the public one."""
    latest = broker.latest(found.contest_id)
    running = found.running
    view: dict[str, Any]
    if running is not None and not running.contest.finished:
        view = {"contest": found.contest_id, "round": running.round_id is not None, "bank": running.contest.bank,
                "phase": "question", "question": question_part(running, dash.app.clock.now())}
        before = latest[0].get("reveal") if latest else None
        if before and before["number"] == running.contest.number - 1:
            view["reveal"] = before
    elif latest is not None:
        view = dict(latest[0])
    else:
        view = {"contest": found.contest_id, "phase": "ended"}
    if not takes_part(viewer, found):
        public = public_of(view)
        public["login"] = viewer is None
        return public
    assert viewer is not None
    mine = running.contest.answers.get(viewer.member_id) if running is not None and "question" in view else None
    view["mine"] = {"answered": mine is not None, "answer": mine.answer if mine else ""}
    return view


def publish_step(dash: Dashboard, broker: Broker, step: ContestStep) -> None:
    """A contest step (StepHub listener): built once into both views, handed to the broker."""
    view = step_views(step, dash.app.clock.now())
    latest = broker.latest(step.running.contest_id)
    if step.kind == "standings" and latest is not None:  # the standings come under the results, not instead
        view = {**latest[0], **view}
    broker.publish(step.running.contest_id, view, public_of(view))
