"""/h5/points (我的积分, with 积分明细 below) and /h5/ranking (排行榜 and 支部排行): the texts chat's commands give
the member (the same handlers, bot/handlers/ranking.py), laid out as a page — never more than chat shows them.
?period= picks 本周…总 and, for the rankings, ?category= a 党建积分 category, as the commands' words do."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from bot.handlers.ranking import ranking_commands
from bot.messages import Outgoing
from bot.services.context import Context
from bot.web.dashboard import Dashboard, Refused
from bot.web.h5.acting import act
from bot.web.h5.pagekit import login_first, refusal
from bot.web.h5.visitor import visitor
from scheduler.periods import PERIOD_LABELS, Period
from scheduler.points import CATEGORY_LABELS, Category

__all__ = ["add_points_pages"]

PERIODS = list(PERIOD_LABELS.values())  # 本周 本月 本季度 本年 总
CATEGORIES = [label for category, label in CATEGORY_LABELS.items() if category is not Category.PENALTY]


def _word(request: Request, name: str, allowed: list[str], what: str) -> str | None:
    word = str(request.query_params.get(name, "")).strip()
    if not word:
        return None
    if word not in allowed:
        raise Refused(400, f"不认识的{what}「{word[:10]}」。可选：{'、'.join(allowed)}。", "参数有误")
    return word


def add_points_pages(web: FastAPI, dash: Dashboard) -> None:
    handlers: dict[str, Callable[[Context], list[Outgoing]]] = {
        command.words[0]: command.handler for command in ranking_commands(rules=dash.app.settings.points.rules())}

    def texts(request: Request, words: list[str], args: list[str]) -> list[list[str]]:
        """Each command's reply for the member, as lines: what chat would answer them."""
        member = visitor(dash, request)
        assert member is not None
        out = []
        for word in words:
            acted = act(dash, member, handlers[word], args=args)
            out.append(acted.lines if acted is not None else [])
        return out

    def shown(request: Request, title: str, path: str, words: list[str], default: str,
              categories: bool) -> Response:
        member = visitor(dash, request)
        if member is None:
            return login_first(dash, request, title)
        try:
            period = _word(request, "period", PERIODS, "时间范围")
            category = _word(request, "category", CATEGORIES, "积分类别") if categories else None
            args = [w for w in (period, category) if w]
            sections = texts(request, words, args)
        except Refused as error:
            return refusal(dash, request, error, member, back=path)
        return dash.page(request, "h5/points.html", member=member, title=title, path=path, sections=sections,
                         periods=PERIODS, period=period or default, categories=CATEGORIES if categories else [],
                         category=category)

    @web.get("/h5/points")
    def my_points(request: Request) -> Response:
        return shown(request, "我的积分", "/h5/points", ["我的积分", "积分明细"], PERIOD_LABELS[Period.MONTH], False)

    @web.get("/h5/ranking")
    def ranking(request: Request) -> Response:
        return shown(request, "排行榜", "/h5/ranking", ["排行榜", "支部排行"], PERIOD_LABELS[Period.ALL], True)
