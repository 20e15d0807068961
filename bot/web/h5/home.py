"""/h5/ (学习答题): the member's start page — what they can open, or how to log in. A logged-in member also sees
「进行中的竞赛」: the running contests of their branch's groups (its chat groups and its virtual group on WeChat, a
全委竞赛's part among them), each linking to its live page — so the /h5/ link pinned in a WeChat group is enough.
A visitor without a login sees none of it."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from bot.storage.h5_running import running_in_branch
from bot.web.dashboard import Dashboard
from bot.web.h5.visitor import login_path, visitor

__all__ = ["add_home_page"]


def add_home_page(web: FastAPI, dash: Dashboard) -> None:
    @web.get("/h5")
    @web.get("/h5/")
    def home(request: Request) -> Response:
        member = visitor(dash, request)
        running = []
        if member is not None:
            with dash.app.db.session() as session:
                running = running_in_branch(session, member.branch_id)
        return dash.page(request, "h5/home.html", member=member, running=running, login=login_path(request),
                         title="学习答题")
