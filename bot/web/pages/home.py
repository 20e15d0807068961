"""/: the first page after logging in."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from bot.web.dashboard import Dashboard

__all__ = ["add_home_page"]


def add_home_page(web: FastAPI, dash: Dashboard) -> None:
    @web.get("/")
    def home(request: Request) -> Response:
        viewer = dash.viewer(request)
        return dash.page(request, "home.html", viewer=viewer)
