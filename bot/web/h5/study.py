"""/h5/study (学习资料): the items pushed to the member's branch, then the whole library, each marked when the
member has read it; /h5/study/{item}: the item to read, with an 「已学」 button that goes through StudyService's
已学 — the chat's points, caps and notes, once per item however it is marked."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from bot.services.study import StudyService
from bot.storage.h5_study import pushed_to_branch, read_items
from bot.web.dashboard import Dashboard, Refused
from bot.web.h5.acting import act
from bot.web.h5.forms import checked_form
from bot.web.h5.pagekit import login_first, refusal
from bot.web.h5.reading import blocks_of
from bot.web.h5.visitor import visitor
from bot.web.viewer import Viewer
from content.items import StudyItem

__all__ = ["add_study_pages"]

TITLE = "学习资料"


def _item(study: StudyService, item_id: str) -> StudyItem:
    item = study.library.get(item_id) if len(item_id) <= 200 else None
    if item is None or item.id != item_id.removesuffix(".md"):  # the exact id only: no guess from a fragment
        raise Refused(404, f"没有找到学习资料「{item_id[:30]}」。请返回学习资料列表查看。", "没有这份资料")
    return item


def add_study_pages(web: FastAPI, dash: Dashboard) -> None:
    study = dash.app.schedule.study

    @web.get("/h5/study")
    def items(request: Request) -> Response:
        member = visitor(dash, request)
        if member is None:
            return login_first(dash, request, TITLE)
        now = dash.app.clock.now()
        with dash.app.db.session() as session:
            today = study.today(session, member.branch_id, now)  # what chat's 学习 shows the member
            pushed_ids = pushed_to_branch(session, member.branch_id, now)
            read = read_items(session, member.member_id)
        pushed = [item for i in pushed_ids if (item := study.library.get(i)) is not None and item.id == i]
        return dash.page(request, "h5/study.html", member=member, title=TITLE, pushed=pushed, today=today,
                         items=[i for i in study.library.items if i not in pushed and i != today], read=read,
                         points_for=study.points_for)

    def reading(request: Request, member: Viewer, item: StudyItem, lines: list[str], status: int = 200) -> Response:
        with dash.app.db.session() as session:
            done = item.id in read_items(session, member.member_id)
        return dash.page(request, "h5/study_item.html", status, member=member, title=item.title, item=item,
                         blocks=blocks_of(item.body), done=done, lines=lines, points=study.points_for(item))

    @web.get("/h5/study/{item_id:path}")
    def item_page(request: Request, item_id: str) -> Response:
        member = visitor(dash, request)
        if member is None:
            return login_first(dash, request, TITLE)
        try:
            return reading(request, member, _item(study, item_id), [])
        except Refused as error:
            return refusal(dash, request, error, member, back="/h5/study")

    @web.post("/h5/study/{item_id:path}")
    async def mark_read(request: Request, item_id: str) -> Response:
        member = visitor(dash, request)
        if member is None:
            return login_first(dash, request, TITLE, 401)
        try:
            await checked_form(dash, request)
            item = _item(study, item_id)

            acted = act(dash, member, lambda ctx: study.mark_read(ctx, item.id))
        except Refused as error:
            return refusal(dash, request, error, member, back="/h5/study")
        return reading(request, member, item, acted.lines if acted else [])
