"""/branch/{id}/binding (微信绑定): how a branch's members stand with the members' pages inside WeChat — bound or
not, their binding codes — where its 书记 or 委员 (own branch) or a 管理员 / the 党委 (any branch) issue binding codes
for the members not yet bound (as `studybot members codes` does: bot/services/binding.py), shown once on the page or
downloaded as .xlsx/.csv, and approve or refuse the requests of members who asked without a code (申请绑定,
bot/storage/bind_requests.py). Every form carries the session's CSRF token; every issue and decision leaves an audit
line; the branch and the requests are read through the viewer's scope in the SQL."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from bot.services.binding import CODE_HEADERS, issue_branch_codes, tell_applicant
from bot.storage.bind_codes import CODE_DAYS, WECHAT_MP, BindRefused
from bot.storage.bind_requests import NOT_YOURS, decide_request, pending_requests
from bot.storage.dashboard_binding import binding_lines
from bot.storage.web_logins import audit
from bot.web.dashboard import Dashboard, Refused
from bot.web.h5.forms import checked_form, first
from bot.web.pages.branch_view import allowed_branch, number_of
from bot.web.tables import Column, Table, table_file
from bot.web.viewer import Viewer

__all__ = ["add_binding_pages", "ALL_BOUND", "NO_MEMBERS"]

ALL_BOUND = "本支部名册中的成员都已绑定微信，无需发放。成员更换微信时，可勾选「也为已绑定的成员重新发放」。"
NO_MEMBERS = "本支部名册中还没有成员：请先导入名册。"
FORMATS = {"page": "页面显示", "xlsx": "xlsx", "csv": "csv"}
CODE_COLUMNS = [Column(CODE_HEADERS[0], width=16), Column(CODE_HEADERS[1], width=14), Column(CODE_HEADERS[2]),
                Column(CODE_HEADERS[3], width=18)]
DECISIONS = {"approve": True, "refuse": False}


def add_binding_pages(web: FastAPI, dash: Dashboard) -> None:
    settings = dash.app.settings
    mp, base = settings.wechat_mp, settings.web.address(settings.server.host, settings.server.port)

    def page(request: Request, viewer: Viewer, branch_id: int, status: int = 200, **context: object) -> Response:
        now = dash.app.clock.now()
        with dash.app.db.session() as session:
            branch = allowed_branch(session, viewer, branch_id)
            lines = binding_lines(session, branch_id=branch.id, where=viewer.scope.member_filter())
            pending = pending_requests(session, branch_id=branch.id, where=viewer.scope.member_filter(), now=now)
        return dash.page(request, "binding.html", status, viewer=viewer, branch=branch, lines=lines, pending=pending,
                         now=now, unbound=sum(not line.bound for line in lines), code_days=CODE_DAYS,
                         configured=dash.app.settings.wechat_mp is not None, title=f"{branch.name}-微信绑定",
                         **context)

    @web.get("/branch/{branch}/binding")
    def binding(request: Request, branch: str) -> Response:
        return page(request, dash.viewer(request), number_of(branch, "支部"))

    @web.post("/branch/{branch}/binding/codes")
    async def issue(request: Request, branch: str) -> Response:
        viewer, branch_id = dash.viewer(request), number_of(branch, "支部")
        fields = await checked_form(dash, request)
        fmt, again = first(fields, "fmt"), first(fields, "all") == "1"
        if fmt not in FORMATS:
            raise Refused(400, "请用页面上的按钮发放绑定码。", "无法发放")
        now = dash.app.clock.now()

        def write() -> tuple[str, list[list[str]]]:
            with dash.app.db.session() as session:
                name = allowed_branch(session, viewer, branch_id).name
                rows = issue_branch_codes(session=session, branch_id=branch_id, now=now, unbound_only=not again)
                if rows:
                    who = "全部" if again else "未绑定的"
                    audit(session=session, member_id=viewer.member_id, action="codes",
                          detail=f"{name}：{who} {len(rows)} 名成员，{CODE_DAYS} 天内有效（{FORMATS[fmt]}）", now=now)
                session.commit()
                return name, rows

        name, rows = await run_in_threadpool(write)
        if not rows:
            return page(request, viewer, branch_id, notice=ALL_BOUND if not again else NO_MEMBERS)
        if fmt == "page":
            return page(request, viewer, branch_id, issued=rows, code_headers=CODE_HEADERS)
        return table_file(Table(f"{name}-绑定码-{now:%Y%m%d}", CODE_COLUMNS, rows), fmt)

    @web.post("/branch/{branch}/binding/requests/{number}")
    async def decide(request: Request, branch: str, number: str) -> Response:
        viewer, branch_id = dash.viewer(request), number_of(branch, "支部")
        request_id = number_of(number, "申请")
        fields = await checked_form(dash, request)
        approve = DECISIONS.get(first(fields, "decision"))
        if approve is None:
            raise Refused(400, "请用页面上的「同意」或「拒绝」按钮。", "无法处理")
        now = dash.app.clock.now()

        def write() -> str:
            with dash.app.db.session() as session:
                allowed_branch(session, viewer, branch_id)
                done = decide_request(session=session, request_id=request_id, branch_id=branch_id, approve=approve,
                                      by=viewer.member_id, where=viewer.scope.member_filter(), now=now)
                others = f"，同时拒绝了同一成员的其他 {done.lapsed_others} 份申请" if done.lapsed_others else ""
                audit(session=session, member_id=viewer.member_id, action="bind_yes" if approve else "bind_no",
                      detail=f"{done.branch}「{done.name}」的绑定申请（编号 {done.request_id}）{others}", now=now)
                told = "" if mp is None else "，并已通过公众号通知本人"
                if mp is not None:
                    tell_applicant(session, decided=done, channel=WECHAT_MP, base=base, now=now)
                session.commit()
                if approve:
                    return f"已同意「{done.name}」的绑定申请{others}{told}：本人下次在微信里点开链接即可直接进入。"
                return f"已拒绝「{done.name}」的这份绑定申请{told}。"

        try:
            done = await run_in_threadpool(write)
        except BindRefused as refused:
            return page(request, viewer, branch_id, 403 if refused.message == NOT_YOURS else 409,
                        error=refused.message)
        return page(request, viewer, branch_id, done=done)
