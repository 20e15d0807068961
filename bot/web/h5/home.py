"""/h5/ (学习答题): the member's start page — what they can open, or how to log in."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from bot.web.dashboard import Dashboard
from bot.web.h5.visitor import login_path, visitor

__all__ = ["add_home_page"]


def add_home_page(web: FastAPI, dash: Dashboard) -> None:
    @web.get("/h5")
    @web.get("/h5/")
    def home(request: Request) -> Response:
        member = visitor(dash, request)
        return dash.page(request, "h5/home.html", member=member, login=login_path(request), title="学习答题")
