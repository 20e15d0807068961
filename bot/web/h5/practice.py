"""/h5/practice (错题练习): the member's wrong answers one at a time through PracticeService — the question chat's
错题练习 would ask (the same pending attempt), the same verdict, points (once per question) and notes."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from bot.messages import Outgoing
from bot.services.context import Context
from bot.services.practice import PracticeService
from bot.storage.mistakes import pending_practice
from bot.web.dashboard import Dashboard, Refused
from bot.web.h5.acting import act, with_text
from bot.web.h5.forms import checked_form, first
from bot.web.h5.pagekit import login_first, refusal
from bot.web.h5.questions import answer_of, question_view
from bot.web.h5.visitor import visitor
from bot.web.viewer import Viewer
from quizzes.model import Question

__all__ = ["add_practice_page"]

TITLE = "错题练习"
STALE = "这道错题已作答或已更换，请刷新页面。"


def _service(dash: Dashboard) -> PracticeService:
    if dash.app.practice is None:
        raise Refused(503, "错题练习暂不可用，请稍后再试。")
    return dash.app.practice


def _pending(dash: Dashboard, ctx: Context) -> Question | None:
    attempt = pending_practice(session=ctx.session, member_id=ctx.member.id)
    return dash.app.catalog.question(attempt.bank, attempt.question_key) if attempt is not None else None


def add_practice_page(web: FastAPI, dash: Dashboard) -> None:
    def shown(request: Request, member: Viewer, lines: list[str], more: bool) -> Response:
        return dash.page(request, "h5/question.html", member=member, title=TITLE, question=None, lines=lines,
                         next_link="/h5/practice" if more else "/h5/daily",
                         next_label="下一题" if more else "去做每日一题")

    @web.get("/h5/practice")
    def practice(request: Request) -> Response:
        member = visitor(dash, request)
        if member is None:
            return login_first(dash, request, TITLE)
        try:
            acted = act(dash, member, _service(dash).ask, after=lambda ctx: _pending(dash, ctx))
        except Refused as error:
            return refusal(dash, request, error, member)
        question = acted.extra if acted is not None else None
        if not isinstance(question, Question):
            return shown(request, member, acted.lines if acted else [], False)
        assert acted is not None
        return dash.page(request, "h5/question.html", member=member, title=TITLE, action="/h5/practice",
                         question=question_view(question), header=acted.lines[0].removeprefix("📝 "), lines=[])

    @web.post("/h5/practice")
    async def answer(request: Request) -> Response:
        member = visitor(dash, request)
        if member is None:
            return login_first(dash, request, TITLE, 401)
        try:
            fields = await checked_form(dash, request)
            service = _service(dash)

            def judged(ctx: Context) -> list[Outgoing] | None:
                question = _pending(dash, ctx)
                if question is None or first(fields, "key") != question.key:
                    raise Refused(409, STALE, "题目已更换")
                with_text(ctx, answer_of(question, fields))
                return service.answer(ctx)

            acted = act(dash, member, judged)
        except Refused as error:
            return refusal(dash, request, error, member, back="/h5/practice")
        lines = acted.lines if acted else [STALE]
        return shown(request, member, lines, not any("错题本已清空" in line for line in lines))
