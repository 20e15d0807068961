"""The members' mobile pages (H5) under /h5/: what a branch whose members sit in an ordinary WeChat group opens from a
link posted there — the live contest, 每日一题, 错题练习, study items with 已学, 我的积分 and the rankings — on the
same engine, records and points as the chat groups (issue 18). Logged in through the same sessions as the dashboard
(bot/web/dashboard.py); inside WeChat through the Official Account's web authorisation and a one-time binding."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import FastAPI

from bot.web.dashboard import Dashboard

if TYPE_CHECKING:
    from bot.web.h5.live_routes import LiveRoutes

__all__ = ["add_h5_pages"]


def add_h5_pages(web: FastAPI, dash: Dashboard) -> LiveRoutes:
    """The pages on `web`; the live contest page's plain routes (answers, event streams) returned, for the front
    that serves them before the framework (bot/web/plain.py)."""
    from bot.web.h5.contest import add_contest_live_page
    from bot.web.h5.home import add_home_page
    from bot.web.h5.login import add_h5_login
    from bot.web.h5.pages import add_member_pages

    live = add_contest_live_page(web, dash)
    add_home_page(web, dash)
    add_h5_login(web, dash)
    add_member_pages(web, dash)
    return live
