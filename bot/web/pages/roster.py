"""/roster (成员名册): the members in scope — name, branch, role, Party columns, and whether each has a WeCom or
DingTalk account on file (the page says 已绑定, never the account) —; its download in the importer's own columns
(姓名、支部、角色、党员类别、支部职务、党小组、企业微信账号、钉钉账号), so a download edited and uploaded comes back
as the same members; and an upload through the importer of `studybot members import` (bot/services/roster_file.py,
bot/services/roster.py): every row checked first, any problem and nothing is imported, each problem with its row.

Who may upload: those who see everything (管理员, the 党委). The importer cannot keep a file to one branch (a row may
create a branch or move a member between branches), so a branch's 书记 reads and downloads their branch but does not
upload. A 管理员 is made or unmade only by a 管理员 (as in chat, where 管理员 commands are theirs): an upload by the
党委 that would do either is refused row by row."""

from __future__ import annotations

from fastapi import FastAPI
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from bot.services.roster import RosterIncomplete, import_roster, matched_members
from bot.services.roster_file import IDENTITY_COLUMNS, RosterError, RosterRow, read_roster_file
from bot.storage.dashboard_roster import RosterLine, roster, roster_size
from bot.storage.models import ROLES
from bot.storage.models_records import MEMBER_CATEGORIES
from bot.storage.web_logins import audit
from bot.web.dashboard import Dashboard, Refused
from bot.web.tables import Column, Table, download
from bot.web.uploads import Upload, read_upload, saved
from bot.web.viewer import Viewer

__all__ = ["add_roster_pages", "FILE_COLUMNS", "UPLOADERS_ONLY"]

NOT_FOR_MEMBERS = "成员名册仅对书记、委员和党委开放。"
UPLOADERS_ONLY = ("导入名册只有管理员和党委成员可以操作：名册中的一行可以新建支部、把成员转到别的支部，"
                  "无法只限于本支部。请把名册交给管理员导入。")
_PARTY = [Column("姓名"), Column("支部", width=16), Column("角色", width=8), Column("党员类别"),
          Column("支部职务"), Column("党小组", width=14)]
PAGE_COLUMNS = [*_PARTY, *(Column(label.removesuffix("账号"), width=10) for label in IDENTITY_COLUMNS.values())]
FILE_COLUMNS = [*_PARTY, *(Column(label, width=24) for label in IDENTITY_COLUMNS.values())]
SUFFIXES = (".csv", ".xlsx", ".xlsm")
PAGE_SIZE = 50  # members on a page (the whole roster: the download)


def _party(line: RosterLine) -> list[object]:
    return [line.name, line.branch, ROLES.get(line.role, line.role), MEMBER_CATEGORIES.get(line.category, ""),
            line.position, line.party_group]


def _viewer(dash: Dashboard, request: Request) -> Viewer:
    viewer = dash.viewer(request)
    if not viewer.scope.sees_branches:
        raise Refused(403, NOT_FOR_MEMBERS)
    return viewer


def _lines(dash: Dashboard, viewer: Viewer) -> list[RosterLine]:
    with dash.app.db.session() as session:
        return roster(session, viewer.scope.member_filter(), IDENTITY_COLUMNS)


def _page_number(request: Request) -> int:
    text = request.query_params.get("page", "")
    return max(int(text), 1) if text.isdigit() and len(text) < 7 else 1


def add_roster_pages(web: FastAPI, dash: Dashboard) -> None:
    def page(request: Request, viewer: Viewer, status: int = 200, **context: object) -> Response:
        number, where = _page_number(request), viewer.scope.member_filter()
        with dash.app.db.session() as session:
            total = roster_size(session, where)
            pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
            number = min(number, pages)
            lines = roster(session, where, IDENTITY_COLUMNS, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
        rows = [[*_party(line), *("已绑定" if line.accounts.get(c) else "—" for c in IDENTITY_COLUMNS)]
                for line in lines]
        return dash.page(request, "roster.html", status, viewer=viewer, columns=PAGE_COLUMNS, rows=rows,
                         total=total, page_number=number, pages=pages, may_upload=viewer.scope.everything,
                         title="成员名册", **context)

    @web.get("/roster")
    def roster_page(request: Request) -> Response:
        return page(request, _viewer(dash, request))

    @web.get("/roster/export.{fmt}")
    def roster_export(request: Request, fmt: str) -> Response:
        viewer = _viewer(dash, request)
        rows = [[*_party(line), *(line.accounts.get(c, "") for c in IDENTITY_COLUMNS)]
                for line in _lines(dash, viewer)]
        return download(dash, viewer, Table("成员名册", FILE_COLUMNS, rows), fmt, "成员名册")

    @web.post("/roster/upload")
    async def roster_upload(request: Request) -> Response:
        viewer = _viewer(dash, request)
        if not viewer.scope.everything:
            raise Refused(403, UPLOADERS_ONLY)
        sent = await read_upload(dash, request)
        outcome = await run_in_threadpool(_import, dash, viewer, sent)
        if isinstance(outcome, list):
            return page(request, viewer, 400, problems=outcome, filename=sent.filename)
        return page(request, viewer, done=outcome)


def _admin_problems(dash: Dashboard, rows: list[RosterRow], label: str) -> list[str]:
    """For an uploader who is not a 管理员: the rows that would make someone a 管理员 or take it away."""
    with dash.app.db.session() as session:
        targets = matched_members(session=session, rows=rows, label=label)
    problems = []
    for row in rows:
        target = targets.get(row.row)
        was_admin = target is not None and target.role == "admin"
        becomes = row.role if row.role is not None and not (row.role_from_position and was_admin) else None
        if becomes == "admin" and not was_admin:
            problems.append(f"{label} 第 {row.row} 行：只有管理员可以把成员设为管理员（{row.name}）")
        elif was_admin and becomes not in (None, "admin"):
            problems.append(f"{label} 第 {row.row} 行：{row.name} 是管理员，只有管理员可以更改其角色")
    return problems


def _import(dash: Dashboard, viewer: Viewer, sent: Upload) -> list[str] | str:
    """Read, check and import the upload as `studybot members import` does: the problems (nothing imported), or
    what was imported. Runs in a worker thread (the import takes turns with the bot's writes)."""
    label = sent.filename
    if not label.lower().endswith(SUFFIXES):
        return [f"{label}：名册应为 .xlsx 或 .csv 文件（列：姓名、支部，可选角色、党员类别、支部职务、党小组、账号）"]
    try:
        with saved(sent) as path:
            read = read_roster_file(path)
    except RosterError as error:
        return error.problems
    if viewer.role != "admin" and (problems := _admin_problems(dash, read.rows, label)):
        return problems
    now = dash.app.clock.now()

    def audited(session: Session) -> None:
        audit(session=session, member_id=viewer.member_id, action="import",
              detail=f"成员名册，文件 {label}，{len(read.rows)} 行", now=now)

    try:
        result = import_roster(dash.app.db, rows=read.rows, now=now, label=label, on_last=audited)
    except RosterError as error:
        return error.problems
    except RosterIncomplete as error:
        return [f"导入中断：数据库出错，已写入前 {error.written} 行（共 {error.total} 行）。"
                "请稍后重新上传同一文件补全，已写入的成员不会重复。"]
    finally:
        dash.app.dispatcher.forget_directory()
        dash.viewers.clear()
    new = f"（本次新建 {result.new_branches} 个）" if result.new_branches else ""
    moves = "".join(f"；转支部：{name}（{old} → {to}）" for name, old, to in result.moves)
    note = f"。{read.ignored_note()}" if read.ignored_note() else ""
    return (f"导入完成：新增 {result.added} 名，更新 {result.updated} 名，未变化 {result.unchanged} 名；"
            f"现有支部 {result.branches} 个{new}{moves}{note}")
