"""/banks (题库): every bank with its counts by type, its source and last import; upload a bank file through the same
reader and importer as `studybot bank import` (quizzes/bank_io.read_bank, bot/services/bank_import.import_bank): all
or nothing, every problem listed with its row; a bank as .xlsx (the exporter of `studybot bank export`); and a bank's
hardest questions (/banks/{name}: lowest correct rate over contests and 每日一题, the figures of `studybot bank stats`).

Only those who see everything (管理员, the 党委): importing a bank is a server command today (`studybot bank import`,
no chat command), so it is the committee's, not a branch's; the banks serve every branch alike."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from bot.services.bank_import import import_bank
from bot.storage.banks import question_stats
from bot.storage.dashboard_banks import bank_imports
from bot.storage.web_logins import audit
from bot.web.dashboard import Dashboard, Refused
from bot.web.tables import MEDIA_TYPES, Column, Table, download
from bot.web.uploads import Upload, read_upload, saved
from bot.web.viewer import Viewer
from quizzes.bank_export import write_xlsx
from quizzes.bank_io import read_bank
from quizzes.importers.common import BankProblem
from quizzes.model import TYPE_LABELS, Bank, QuestionType

__all__ = ["add_bank_pages", "MIN_ANSWERS", "HARDEST"]

MIN_ANSWERS = 5  # a question answered fewer times says little about how hard it is
HARDEST = 50
NOT_YOURS = "题库只有管理员和党委成员可以查看和导入。"
COLUMNS = [Column("题库", width=24), Column("题数"), *(Column(label, width=8) for label in TYPE_LABELS.values()),
           Column("来源", width=30), Column("最近导入", width=18)]
HARD_COLUMNS = [Column("题号", width=8), Column("题型", width=8), Column("题干", width=60),
                Column("正确答案", width=30), Column("作答人次"), Column("答对"), Column("正确率", "0.0%")]


def _committee(dash: Dashboard, request: Request) -> Viewer:
    viewer = dash.viewer(request)
    if not viewer.scope.everything:
        raise Refused(403, NOT_YOURS)
    return viewer


def bank_rows(dash: Dashboard) -> list[list[object]]:
    dash.app.catalog.refresh()
    with dash.app.db.session() as session:
        imports = bank_imports(session)
    rows: list[list[object]] = []
    for bank in dash.app.catalog.banks():
        counts = {t: 0 for t in QuestionType}
        for question in bank.questions:
            counts[question.type] += 1
        stored = imports.get(bank.name)
        # a bank file by its name only: the server's folders are nobody's business on a phone
        source = bank.source if bank.source.startswith("数据库") else Path(bank.source).name
        rows.append([bank.name, len(bank.questions), *counts.values(), source,
                     stored.at.strftime("%Y-%m-%d %H:%M") if stored and bank.source.startswith("数据库") else ""])
    return rows


def hardest(session: Session, bank: Bank, min_answers: int) -> list[list[object]]:
    """The bank's questions answered at least `min_answers` times, lowest correct rate first (as `bank stats`)."""
    numbered = {q.key: (number, q) for number, q in enumerate(bank.questions, start=1)}
    rows = [(s.correct / s.answered, s, *numbered[key]) for key, s in question_stats(session=session,
                                                                                     bank=bank.name).items()
            if key in numbered and s.answered >= min_answers]
    rows.sort(key=lambda r: (r[0], -r[1].answered, r[2]))
    return [[number, question.label, question.text, question.answer_display(), stat.answered, stat.correct, rate]
            for rate, stat, number, question in rows[:HARDEST]]


def problem_line(problem: BankProblem, filename: str) -> str:
    """「题库.xlsx 第 3 行：缺少答案」 — the file by the name it was uploaded under, not the temporary path."""
    if problem.row is not None:
        where = (f"工作表「{problem.sheet}」" if problem.sheet else "") + f"第 {problem.row} 行"
    elif problem.question_no:
        where = f"第 {problem.question_no} 题"
    else:
        return f"{filename}：{problem.message}"
    return f"{filename} {where}：{problem.message}"


def add_bank_pages(web: FastAPI, dash: Dashboard) -> None:
    def listing(request: Request, viewer: Viewer, status: int = 200, **context: object) -> Response:
        rows = bank_rows(dash)
        links = [f"/banks/{quote(str(row[0]), safe='')}" for row in rows]
        return dash.page(request, "banks.html", status, viewer=viewer, columns=COLUMNS, rows=rows, links=links,
                         title="题库", **context)

    @web.get("/banks")
    def banks(request: Request) -> Response:
        return listing(request, _committee(dash, request))

    @web.get("/banks/export.{fmt}")
    def export(request: Request, fmt: str) -> Response:
        viewer = _committee(dash, request)
        return download(dash, viewer, Table("题库", COLUMNS, bank_rows(dash)), fmt, "题库列表")

    @web.post("/banks/upload")
    async def upload(request: Request) -> Response:
        viewer = _committee(dash, request)
        sent = await read_upload(dash, request)
        outcome = await run_in_threadpool(_import, dash, viewer, sent)
        if isinstance(outcome, list):
            return listing(request, viewer, 400, problems=outcome, filename=sent.filename)
        return listing(request, viewer, done=outcome)

    @web.get("/banks/{name}")
    def bank_page(request: Request, name: str) -> Response:
        viewer = _committee(dash, request)
        bank, least = _bank(dash, name), _least(request)
        with dash.app.db.session() as session:
            rows = hardest(session, bank, least)
        return dash.page(request, "bank.html", viewer=viewer, bank=bank, columns=HARD_COLUMNS, rows=rows,
                         least=least, title=f"题库 · {bank.name}", quoted=quote(bank.name, safe=""))

    @web.get("/banks/{name}/hardest/export.{fmt}")
    def hardest_export(request: Request, name: str, fmt: str) -> Response:
        viewer = _committee(dash, request)
        bank, least = _bank(dash, name), _least(request)
        with dash.app.db.session() as session:
            rows = hardest(session, bank, least)
        return download(dash, viewer, Table(f"{bank.name}-最难题目"[:31], HARD_COLUMNS, rows), fmt,
                        f"题库「{bank.name}」最难题目")

    @web.get("/banks/{name}/bank.xlsx")
    def bank_file(request: Request, name: str) -> Response:
        viewer = _committee(dash, request)
        bank = _bank(dash, name)
        with tempfile.TemporaryDirectory(prefix="studybot-bank-") as folder:
            path = Path(folder) / "bank.xlsx"
            write_xlsx(bank, path)
            body = path.read_bytes()
        with dash.app.db.session() as session:
            audit(session=session, member_id=viewer.member_id, action="export",
                  detail=f"题库「{bank.name}」xlsx，{len(bank.questions)} 道", now=dash.app.clock.now())
            session.commit()
        disposition = f"attachment; filename=\"bank.xlsx\"; filename*=UTF-8''{quote(bank.name + '.xlsx')}"
        return Response(body, media_type=MEDIA_TYPES["xlsx"], headers={"Content-Disposition": disposition})


def _bank(dash: Dashboard, name: str) -> Bank:
    dash.app.catalog.refresh()
    bank = dash.app.catalog.get(name)
    if bank is None:
        raise Refused(404, f"没有题库「{name[:50]}」。", "没有这个题库")
    return bank


def _least(request: Request) -> int:
    value = request.query_params.get("min", "")
    return max(min(int(value), 10_000), 1) if value.isdigit() else MIN_ANSWERS


def _import(dash: Dashboard, viewer: Viewer, sent: Upload) -> list[str] | str:
    """Read and import the upload as `studybot bank import` does: the problems (nothing imported), or what was
    imported. Runs in a worker thread: the import takes turns with the bot's writes (bot/storage/turns.py)."""
    name = sent.fields.get("name", "").strip() or None
    replace = sent.fields.get("replace") == "1"
    with saved(sent) as path:
        result = read_bank(path, name)
    if result.bank is None:
        return [problem_line(p, sent.filename) for p in result.problems]
    bank = result.bank
    dash.app.catalog.refresh()
    existing = dash.app.catalog.get(bank.name)
    if existing is not None and not existing.source.startswith("数据库"):
        return [f"题库「{bank.name}」来自题库文件（{existing.source}），不能用导入覆盖：请在「题库名」中另起一个名字。"]
    now = dash.app.clock.now()
    verb_done = "替换" if replace else "导入"

    def audited(session: Session) -> None:
        audit(session=session, member_id=viewer.member_id, action="import",
              detail=f"题库「{bank.name}」{verb_done}，文件 {sent.filename}，{len(bank.questions)} 道", now=now)

    saved_bank = import_bank(dash.app.db, bank, source=sent.filename, replace=replace, now=now, on_publish=audited)
    dash.app.catalog.refresh()
    verb = "替换为" if saved_bank.replaced else "新增"
    already = f"，题库中已有而跳过 {saved_bank.already_there} 道" if saved_bank.already_there else ""
    skipped = f"（文件中完全重复而跳过 {result.duplicates_skipped} 道）" if result.duplicates_skipped else ""
    return (f"已导入题库「{bank.name}」：{verb} {saved_bank.added} 道{already}{skipped}。"
            f"在群里发送「开始竞赛 {bank.name}」即可使用。")
