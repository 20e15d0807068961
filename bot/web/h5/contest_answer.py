"""POST /h5/contest/{id}/answer: a logged-in member's answer from the live contest page, through the same road and
the same answer policy as a tap on a chat card (bot/services/contests/answering.py): one answer per member per
question, whichever comes first, page or chat; late, repeated, another question's, forged, a contest that ended —
refused with the policy's own words, nothing stored."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse

from bot.messages import Incoming, Priority, Sender
from bot.web.dashboard import Dashboard, Refused
from bot.web.h5.answer_batch import AnswerBatch
from bot.web.h5.contest_state import ENDED, find, takes_part
from bot.web.h5.visitor import visitor

__all__ = ["add_answer_route", "sender_id"]

MAX_ANSWER = 200  # characters: a 填空 answer is a few words


def sender_id(member_id: int) -> str:
    """The page's sender on the wire; the member is known by `Incoming.member_id`, not by this."""
    return f"h5:{member_id}"


def told(status: int, ok: bool, message: str, answer: str = "") -> JSONResponse:
    return JSONResponse({"ok": ok, "message": message, "answer": answer}, status_code=status)


def add_answer_route(web: FastAPI, dash: Dashboard) -> None:
    batch = AnswerBatch(dash.app)  # answers share a commit, a few milliseconds' worth at a time

    # async: the contest's in-memory state is the service loop's alone (bot/service.py), as for the chat callbacks
    @web.post("/h5/contest/{contest_id}/answer")
    async def answer(request: Request, contest_id: str) -> JSONResponse:
        member = visitor(dash, request)
        if member is None:
            return told(401, False, "请先登录后再作答。")
        form = await request.form()
        if not dash.sessions.csrf_ok(request.state.session, str(form.get("csrf") or "")):
            return told(403, False, "页面已过期，请刷新页面后再作答。")
        try:
            found = find(dash, contest_id)
        except Refused as refused:
            return told(refused.status, False, refused.message)
        if found.running is None:
            return told(410, False, ENDED)
        if not takes_part(member, found):
            return told(403, False, "这是其他支部的竞赛，您不能作答。")
        choice = str(form.get("choice") or form.get("text") or "").strip()[:MAX_ANSWER]
        if not choice:
            return told(400, False, "请先选择或填写答案。")
        user = sender_id(member.member_id)
        incoming = Incoming(chat=found.running.chat, sender=Sender(user, member.name), text=choice,
                            message_id=f"h5:{uuid.uuid4().hex}", received_at=dash.app.clock.now(), button=choice,
                            question_key=str(form.get("question_key") or "")[:40], member_id=member.member_id)
        replies = await batch.handle(incoming)  # after the commit that stored it
        notes = [r for r in replies if r.private_to == user]
        steps = [r for r in replies if not r.private_to and r.priority is Priority.STEP]
        dash.app.send(steps)  # everyone expected has answered: the reveal goes to the group now
        if notes:
            note = notes[0]
            ok = note.text.startswith("已作答")
            return told(200 if ok else 409, ok, note.text, note.answer)
        if steps:
            return told(200, True, "已作答，本题答案已揭晓。", choice)
        other = [r.text for r in replies if not r.private_to]
        return told(500, False, other[0] if other else "作答没有成功，请稍后再试。")
