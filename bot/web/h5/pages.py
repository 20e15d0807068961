"""The member's own pages (issue 18, part C): 每日一题, 错题练习, 学习 with 已学, 我的积分 and 排行."""

from __future__ import annotations

from fastapi import FastAPI

from bot.web.dashboard import Dashboard

__all__ = ["add_member_pages"]


def add_member_pages(web: FastAPI, dash: Dashboard) -> None:
    from bot.web.h5.daily import add_daily_page
    from bot.web.h5.points import add_points_pages
    from bot.web.h5.practice import add_practice_page
    from bot.web.h5.study import add_study_pages

    add_daily_page(web, dash)
    add_practice_page(web, dash)
    add_study_pages(web, dash)
    add_points_pages(web, dash)
