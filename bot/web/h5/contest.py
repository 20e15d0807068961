"""/h5/contest/{id}: the live contest page a secretary posts in an ordinary WeChat group. The id is the contest's
own (the one in the start message's link): without a login the page shows only the question's text and a login
button, so a guessed id gives nothing more than a question.

- the page: the current question, rendered by the server, and a small static script (h5-contest.js) that keeps it
  live: a countdown from the server's time left, answer buttons, the reveal (解析, 出处, who got it right), the next
  question, the podium and a 全委竞赛's branch standings — at the same moments as the chat groups;
- `/events`: Server-Sent Events, fed by the contest service's steps (StepHub) through one broker per service;
- `/state`: the current state as JSON, read when the page opens or reconnects, and polled where SSE fails;
- `/answer`: bot/web/h5/contest_answer.py.

`/events` and `/answer` carry the crowd: they are plain ASGI routes in front of the framework
(bot/web/h5/live_routes.py); the page and `/state` are read once per page opened and stay FastAPI routes."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.web.dashboard import Dashboard, script_json
from bot.web.h5.broker import Broker
from bot.web.h5.contest_state import find, publish_step, state_of, takes_part
from bot.web.h5.live_routes import LiveRoutes
from bot.web.h5.visitor import login_path, visitor

__all__ = ["add_contest_live_page"]


def add_contest_live_page(web: FastAPI, dash: Dashboard) -> LiveRoutes:
    """The page and /state on `web`; the returned plain routes (/answer, /events) go in front of it."""
    broker = Broker()
    dash.app.contests.steps.listen(lambda step: publish_step(dash, broker, step))

    @web.get("/h5/contest/{contest_id}")
    async def contest_page(request: Request, contest_id: str) -> Response:
        found = find(dash, contest_id)
        member = visitor(dash, request)
        state = state_of(dash, broker, found, member)
        return dash.page(request, "h5/contest.html", member=member, state=state, state_json=script_json(state),
                         takes_part=takes_part(member, found), login=login_path(request), title="知识竞赛")

    @web.get("/h5/contest/{contest_id}/state")
    async def contest_state(request: Request, contest_id: str) -> JSONResponse:
        found = find(dash, contest_id)
        return JSONResponse(state_of(dash, broker, found, visitor(dash, request)),
                            headers={"Cache-Control": "no-store"})

    return LiveRoutes(dash, broker)
