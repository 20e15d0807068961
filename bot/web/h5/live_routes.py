"""The live contest page's two crowded routes as plain ASGI (bot/web/plain.py), in front of the framework:

- POST /h5/contest/{id}/answer: bot/web/h5/contest_answer.py;
- GET /h5/contest/{id}/events: Server-Sent Events from the broker (bot/web/h5/broker.py), the member's version or
  the public one (a link alone gives no names).

The page itself and its /state stay framework routes (bot/web/h5/contest.py): each is read once per page opened.

Several instances on PostgreSQL (docs/cluster.md): a contest's state and its steps live in the leader's memory,
so a standby serves none of /h5/contest/…: it answers 503 with Retry-After and a Chinese line, before reading or
storing anything. A load balancer told to try the next instance on a 503 (nginx: `proxy_next_upstream http_503
non_idempotent`, safe since nothing was stored) takes the member to the leader; without one, the page's stream
reconnects by itself and the member's tap says to tap again."""

from __future__ import annotations

from functools import partial

from starlette.types import Receive, Scope, Send

from bot.web.dashboard import Dashboard, Refused
from bot.web.h5.broker import Broker
from bot.web.h5.contest_answer import AnswerRoute
from bot.web.h5.contest_state import find, takes_part
from bot.web.h5.visitor import live_visit
from bot.web.plain import PlainRoute, Reply, json_reply

__all__ = ["LiveRoutes", "PREFIX"]

PREFIX = "/h5/contest/"
EVENT_STREAM = b"text/event-stream; charset=utf-8"
STANDBY_ANSWER = "这次作答没有送达（服务器正在切换），没有记录，请再点一次。"
STANDBY_PAGE = "竞赛页面正在切换服务器，请稍候几秒刷新本页。"


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
        if self._dash.app.role() == "standby":
            return self._standby
        contest, _, rest = path[len(PREFIX):].partition("/")
        if rest == "answer" and scope["method"] == "POST":
            return partial(self._answer, contest=contest)
        if rest == "events" and scope["method"] == "GET":
            return partial(self._events, contest=contest)
        return None

    async def _standby(self, scope: Scope, receive: Receive, send: Send) -> None:
        retry = [(b"retry-after", b"2"), (b"cache-control", b"no-store")]
        if scope["path"].endswith("/answer"):
            body = json_reply({"ok": False, "message": STANDBY_ANSWER, "answer": ""})
            await self._reply.whole(send, 503, body, b"application/json", retry)
        else:
            await self._reply.whole(send, 503, STANDBY_PAGE.encode(), b"text/plain; charset=utf-8", retry)

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
