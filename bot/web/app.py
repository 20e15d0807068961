"""The HTTP side of studybot: platform callbacks (mounted from the channels that have them), /healthz and /readyz
(health.py), and the committee's dashboard under / (build_dashboard). `studybot run` serves build_web; `studybot
web` the dashboard only."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from bot.app import App
from bot.web.dashboard import STATIC, Dashboard, Refused
from bot.web.h5 import add_h5_pages
from bot.web.health import add_health_pages
from bot.web.pages.audit import add_audit_page
from bot.web.pages.banks import add_bank_pages
from bot.web.pages.binding import add_binding_pages
from bot.web.pages.branch import add_branch_pages
from bot.web.pages.contests import add_contest_pages
from bot.web.pages.login import add_login_pages
from bot.web.pages.meetings import add_meetings_pages
from bot.web.pages.member import add_member_pages
from bot.web.pages.overview import add_overview_page
from bot.web.pages.platform_login import add_platform_logins
from bot.web.pages.ranking import add_ranking_pages
from bot.web.pages.roster import add_roster_pages
from bot.web.pages.study import add_study_pages
from bot.web.plain import PlainFront
from bot.web.security import SecurityHeaders

__all__ = ["build_web", "build_dashboard"]


def build_web(app: App) -> ASGIApp:
    """What `studybot run` serves: the callbacks and /healthz, then the dashboard under / (when web.enabled), with
    the live contest page's crowded routes answered before either (bot/web/plain.py)."""
    web = FastAPI(title="studybot", docs_url=None, redoc_url=None, openapi_url=None)
    add_health_pages(web, app, with_channels=True)
    for channel in app.channels.values():
        if (router := channel.router()) is not None:
            web.include_router(router)
    if not app.settings.web.enabled:
        return web
    dashboard = build_dashboard(app)
    web.mount("/", dashboard.framework)  # after the callbacks: their paths match first
    return PlainFront(web, dashboard.route)


def build_dashboard(app: App) -> PlainFront:
    """The dashboard and the members' pages (`studybot web` serves it alone); `.framework` is its FastAPI."""
    web = FastAPI(title="studybot dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    dash = Dashboard(app)

    @web.exception_handler(Refused)
    def refused(request: Request, error: Refused) -> Response:
        return dash.refused(request, error)

    add_health_pages(web, app)
    settings = app.settings.web
    web.add_middleware(SecurityHeaders, frame_ancestors=settings.frame_ancestors if settings.embed else None)
    web.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    live = add_h5_pages(web, dash)  # first: a live contest's page is a busy path, and routes are tried in order
    add_platform_logins(web, dash)  # before add_login_pages: /login/wecom is not a link's /login/{token}
    add_login_pages(web, dash)
    add_overview_page(web, dash)
    add_ranking_pages(web, dash)
    add_audit_page(web, dash)
    add_meetings_pages(web, dash)
    add_study_pages(web, dash)
    add_branch_pages(web, dash)
    add_binding_pages(web, dash)
    add_member_pages(web, dash)
    add_bank_pages(web, dash)
    add_contest_pages(web, dash)
    add_roster_pages(web, dash)
    return PlainFront(web, live.route)
