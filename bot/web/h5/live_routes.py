"""The live contest page's two crowded routes as plain ASGI (bot/web/plain.py), in front of the framework:

- POST /h5/contest/{id}/answer: bot/web/h5/contest_answer.py;
- GET /h5/contest/{id}/events: Server-Sent Events from the broker (bot/web/h5/broker.py), the member's version or
  the public one (a link alone gives no names).

The page itself and its /state stay framework routes (bot/web/h5/contest.py): each is read once per page opened."""

from __future__ import annotations

from functools import partial

from starlette.types import Receive, Scope, Send

from bot.web.dashboard import Dashboard, Refused
from bot.web.h5.broker import Broker
from bot.web.h5.contest_answer import AnswerRoute
from bot.web.h5.contest_state import find, takes_part
from bot.web.h5.visitor import live_visit
from bot.web.plain import PlainRoute, Reply

__all__ = ["LiveRoutes", "PREFIX"]

PREFIX = "/h5/contest/"
EVENT_STREAM = b"text/event-stream; charset=utf-8"


class LiveRoutes:
    def __init__(self, dash: Dashboard, broker: Broker) -> None:
        web = dash.app.settings.web
        self._dash, self._broker = dash, broker
        self._reply = Reply(web.frame_ancestors if web.embed else None)
        self._answer = AnswerRoute(dash, self._reply)

    def route(self, scope: Scope) -> PlainRoute | None:
        """The plain route for this request, or None (the framework's)."""
        path: str = scope["path"]
        if not path.startswith(PREFIX):
            return None
        contest, _, rest = path[len(PREFIX):].partition("/")
        if rest == "answer" and scope["method"] == "POST":
            return partial(self._answer, contest=contest)
        if rest == "events" and scope["method"] == "GET":
            return partial(self._events, contest=contest)
        return None

    async def _events(self, scope: Scope, receive: Receive, send: Send, contest: str) -> None:
        try:
            found = find(self._dash, contest)
        except Refused as refused:  # an unknown contest: the page the dashboard shows for it
            request = self._reply.request(scope, receive)
            await self._reply.response(scope, receive, send, self._dash.refused(request, refused))
            return
        visit = live_visit(self._dash, scope)
        member = takes_part(visit.viewer if visit is not None else None, found)
        await self._reply.start(send, 200, EVENT_STREAM, [(b"x-accel-buffering", b"no"),
                                                          *(visit.set_cookie if visit is not None else [])])
        await self._broker.serve(found.contest_id, member, send, receive)
