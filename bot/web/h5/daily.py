"""/h5/daily (每日一题): today's question for the member — the one chat's 每日一题 gives them (DailyService.ask
on their behalf, so asking on the page is asking in chat) — and the answer through DailyService.answer: the
verdict with 解析 and 出处, the points, caps and notes exactly as in chat, counted once however it is answered."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from bot.messages import Outgoing
from bot.services.context import Context
from bot.services.daily import DailyService
from bot.storage.daily import daily_answer
from bot.web.dashboard import Dashboard, Refused
from bot.web.h5.acting import act, with_text
from bot.web.h5.forms import checked_form, first
from bot.web.h5.pagekit import login_first, refusal
from bot.web.h5.questions import answer_of, question_view
from bot.web.h5.visitor import visitor
from bot.web.viewer import Viewer
from quizzes.model import Question

__all__ = ["add_daily_page"]

TITLE = "每日一题"
STALE = "这道题已不是您今天的每日一题，请刷新页面。"
DONE = "今天的每日一题您已完成，明天再来吧！"


def _service(dash: Dashboard) -> DailyService:
    if dash.app.daily is None:
        raise Refused(503, "每日一题暂不可用，请稍后再试。")
    return dash.app.daily


def _pending(dash: Dashboard, ctx: Context) -> Question | None:
    """Today's question if the member has it and has not answered it yet."""
    row = daily_answer(session=ctx.session, member_id=ctx.member.id, day=ctx.now.date())
    if row is None or row.answer is not None:
        return None
    return dash.app.catalog.question(row.bank, row.question_key)


def add_daily_page(web: FastAPI, dash: Dashboard) -> None:
    def shown(request: Request, member: Viewer, lines: list[str]) -> Response:
        return dash.page(request, "h5/question.html", member=member, title=TITLE, question=None, lines=lines,
                         next_link="/h5/practice", next_label="去做错题练习")

    @web.get("/h5/daily")
    def daily(request: Request) -> Response:
        member = visitor(dash, request)
        if member is None:
            return login_first(dash, request, TITLE)
        try:
            acted = act(dash, member, _service(dash).ask, after=lambda ctx: _pending(dash, ctx))
        except Refused as error:
            return refusal(dash, request, error, member)
        question = acted.extra if acted is not None else None
        if not isinstance(question, Question):
            return shown(request, member, acted.lines if acted else [DONE])
        assert acted is not None
        return dash.page(request, "h5/question.html", member=member, title=TITLE, action="/h5/daily",
                         question=question_view(question), header=acted.lines[0].removeprefix("📅 "),
                         footer=acted.lines[-1], lines=[])

    @web.post("/h5/daily")
    async def answer(request: Request) -> Response:
        member = visitor(dash, request)
        if member is None:
            return login_first(dash, request, TITLE, 401)
        try:
            fields = await checked_form(dash, request)
            service = _service(dash)

            def judged(ctx: Context) -> list[Outgoing] | None:
                question = _pending(dash, ctx)
                if question is None:
                    raise Refused(409, DONE, "已经作答")
                if first(fields, "key") != question.key:
                    raise Refused(409, STALE, "题目已更换")
                with_text(ctx, answer_of(question, fields))
                return service.answer(ctx)

            acted = act(dash, member, judged)
        except Refused as error:
            return refusal(dash, request, error, member, back="/h5/daily")
        return shown(request, member, acted.lines if acted else [DONE])
