"""POST /h5/contest/{id}/answer: a logged-in member's answer from the live contest page, through the same road and
the same answer policy as a tap on a chat card (bot/services/contests/answering.py): one answer per member per
question, whichever comes first, page or chat; late, repeated, another question's, forged, a contest that ended —
refused with the policy's own words, nothing stored. A plain ASGI route (bot/web/plain.py): 10,000 members answer
within seconds."""

from __future__ import annotations

from starlette.types import Receive, Scope, Send

from bot.ingress import Ingress
from bot.messages import Incoming, Priority, Sender
from bot.web.dashboard import Dashboard, Refused
from bot.web.h5.contest_state import ENDED, find, takes_part
from bot.web.h5.visitor import Visit, live_visit
from bot.web.plain import Reply, header, json_reply, read_body, url_form
from bot.web.security import MAX_FORM_BYTES

__all__ = ["AnswerRoute", "sender_id"]

MAX_ANSWER = 200  # characters: a 填空 answer is a few words
JSON = b"application/json"
URLENCODED = b"application/x-www-form-urlencoded"


def sender_id(member_id: int) -> str:
    """The page's sender on the wire; the member is known by `Incoming.member_id`, not by this."""
    return f"h5:{member_id}"


class AnswerRoute:
    def __init__(self, dash: Dashboard, reply: Reply) -> None:
        self._dash, self._reply = dash, reply
        # answers share a commit, a few milliseconds' worth at a time: an ingress of the page's own, open in every
        # process that serves the page (`studybot web` too), whatever the app's own ingress is set to
        self._batch = Ingress(dash.app.handle_many)

    async def __call__(self, scope: Scope, receive: Receive, send: Send, contest: str) -> None:
        visit = live_visit(self._dash, scope)
        cookie = visit.set_cookie if visit is not None else []
        status, ok, message, answer = await self._answer(scope, receive, visit, contest)
        body = json_reply({"ok": ok, "message": message, "answer": answer})
        await self._reply.whole(send, status, body, JSON, cookie)

    async def _answer(self, scope: Scope, receive: Receive, visit: Visit | None,
                      contest: str) -> tuple[int, bool, str, str]:
        """(status, ok, what the member is told, the answer that counts)."""
        if visit is None:
            return 401, False, "请先登录后再作答。", ""
        form = await self._form(scope, receive)
        if form is None:
            return 413, False, "提交的内容过长，请刷新页面后重新作答。", ""
        if not self._dash.sessions.csrf_ok(visit.session, form.get("csrf", "")):
            return 403, False, "页面已过期，请刷新页面后再作答。", ""
        try:
            found = find(self._dash, contest)
        except Refused as refused:
            return refused.status, False, refused.message, ""
        if found.running is None:
            return 410, False, ENDED, ""
        member = visit.viewer
        if not takes_part(member, found):
            return 403, False, "这是其他支部的竞赛，您不能作答。", ""
        choice = (form.get("choice") or form.get("text") or "").strip()[:MAX_ANSWER]
        if not choice:
            return 400, False, "请先选择或填写答案。", ""
        user = sender_id(member.member_id)
        app = self._dash.app
        # no platform message id: a page's answer is no platform delivery to be retried, and a second POST meets
        # the contest's own one-answer-per-member rule (and contest_answer's unique key), not a dedupe row
        incoming = Incoming(chat=found.running.chat, sender=Sender(user, member.name), text=choice, message_id="",
                            received_at=app.clock.now(), button=choice,
                            question_key=(form.get("question_key") or "")[:40], member_id=member.member_id)
        replies = await self._batch.handle(incoming)  # after the commit that stored it
        notes = [r for r in replies if r.private_to == user]
        steps = [r for r in replies if not r.private_to and r.priority is Priority.STEP]
        app.send(steps)  # everyone expected has answered: the reveal goes to the group now
        if notes:
            note = notes[0]
            ok = note.text.startswith("已作答")
            return 200 if ok else 409, ok, note.text, note.answer
        if steps:
            return 200, True, "已作答，本题答案已揭晓。", choice
        other = [r.text for r in replies if not r.private_to]
        return 500, False, other[0] if other else "作答没有成功，请稍后再试。", ""

    async def _form(self, scope: Scope, receive: Receive) -> dict[str, str] | None:
        """The form's fields (the last value of a repeated one, as Starlette's form() gives); None when too long."""
        kind = header(scope, b"content-type")
        if kind.startswith(b"multipart/form-data"):  # not what the page sends; read as the framework reads it
            async with self._reply.request(scope, receive).form() as form:
                return {key: value for key, value in form.items() if isinstance(value, str)}
        body = await read_body(receive, MAX_FORM_BYTES)
        if body is None:
            return None
        if not kind.startswith(URLENCODED):
            return {}
        return url_form(body)
