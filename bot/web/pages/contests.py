"""/contests (竞赛): the contests in scope, newest first, 20 a page, optionally of one bank; /contests/{id}: each
question's correct rate (a bar chart: data in a JSON block, drawn by static/contest.js) and the participants' scores.
Scope and figures: bot/storage/dashboard_contests.py (a 书记 sees their branch's groups, and a 全委竞赛 their members
took part in with only their members' answers). A bank's hardest questions over all contests and 每日一题 are on
/banks/{name} (题库, for those who see everything: the statistics are kept per question, not per branch)."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from bot.storage.dashboard_contests import ContestLine, contest, contest_banks, contests, question_figures, scores
from bot.web.dashboard import Dashboard, Refused, script_json
from bot.web.pages.ranking_query import NOT_FOR_MEMBERS
from bot.web.tables import Column, Table, download
from bot.web.viewer import Viewer

__all__ = ["add_contest_pages", "PAGE_SIZE"]

PAGE_SIZE = 20
NOT_FOUND = "没有这场竞赛，或它不在您可以查看的范围内。"
COLUMNS = [Column("开始时间", width=17), Column("群", width=20), Column("支部", width=16), Column("发起人"),
           Column("类型", width=9), Column("题库", width=20), Column("题数", width=8), Column("参与人数"),
           Column("作答次数"), Column("平均正确率", "0.0%"), Column("结束时间", width=17)]
QUESTION_COLUMNS = [Column("题号", width=6), Column("题目", width=60), Column("正确答案", width=30), Column("作答人数"),
                    Column("答对"), Column("正确率", "0.0%")]
SCORE_COLUMNS = [Column("姓名"), Column("支部", width=16), Column("作答"), Column("答对"), Column("得分")]


def _time(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else ""


def contest_row(line: ContestLine) -> list[object]:
    return [_time(line.started_at), line.group, line.branch, line.starter, line.kind, line.bank,
            len(line.question_keys), line.figures.participants, line.figures.answers, line.figures.rate,
            _time(line.finished_at) if line.status == "finished" else "进行中"]


def _viewer(dash: Dashboard, request: Request) -> Viewer:
    viewer = dash.viewer(request)
    if not viewer.scope.sees_branches:
        raise Refused(403, NOT_FOR_MEMBERS.replace("排行", "竞赛统计"))
    return viewer


def _bank(request: Request) -> str | None:
    return request.query_params.get("bank", "").strip()[:200] or None


def add_contest_pages(web: FastAPI, dash: Dashboard) -> None:
    @web.get("/contests")
    def contest_list(request: Request) -> Response:
        viewer = _viewer(dash, request)
        bank = _bank(request)
        value = request.query_params.get("page", "")
        page = max(int(value), 1) if value.isdigit() else 1
        with dash.app.db.session() as session:
            lines, total = contests(session, viewer.scope, bank=bank, offset=(page - 1) * PAGE_SIZE,
                                    limit=PAGE_SIZE)
            banks = contest_banks(session, viewer.scope)
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        query = f"?{urlencode({'bank': bank})}" if bank else ""

        def url(number: int) -> str:
            return "/contests?" + urlencode({k: v for k, v in (("bank", bank), ("page", number)) if v})

        return dash.page(request, "contests.html", viewer=viewer, columns=COLUMNS,
                         rows=[contest_row(line) for line in lines], links=[f"/contests/{line.id}" for line in lines],
                         total=total, page=min(page, pages), pages=pages, bank=bank, banks=banks, query=query,
                         previous=url(page - 1) if page > 1 else None, next=url(page + 1) if page < pages else None,
                         title="竞赛")

    @web.get("/contests/export.{fmt}")
    def contest_export(request: Request, fmt: str) -> Response:
        viewer = _viewer(dash, request)
        bank = _bank(request)
        with dash.app.db.session() as session:
            lines, _ = contests(session, viewer.scope, bank=bank)
        title = f"竞赛-{bank}"[:31] if bank else "竞赛"
        return download(dash, viewer, Table(title, COLUMNS, [contest_row(line) for line in lines]), fmt,
                        f"竞赛列表{f'（{bank}）' if bank else ''}")

    @web.get("/contests/{contest_id}")
    def contest_page(request: Request, contest_id: str) -> Response:
        viewer = _viewer(dash, request)
        line, questions, people = _detail(dash, viewer, contest_id)
        chart = {"labels": [f"第{row[0]}题" for row in questions],
                 "rates": [round(row[5] * 100, 1) if isinstance(row[5], float) else None for row in questions]}
        return dash.page(request, "contest.html", viewer=viewer, contest=line, summary=contest_row(line),
                         columns=COLUMNS, question_columns=QUESTION_COLUMNS, questions=questions,
                         score_columns=SCORE_COLUMNS, scores=people, chart=script_json(chart),
                         title=f"竞赛 · {line.group}")

    @web.get("/contests/{contest_id}/questions/export.{fmt}")
    def question_export(request: Request, contest_id: str, fmt: str) -> Response:
        viewer = _viewer(dash, request)
        line, questions, _ = _detail(dash, viewer, contest_id)
        return download(dash, viewer, Table(f"竞赛{line.id}-各题正确率", QUESTION_COLUMNS, questions), fmt,
                        f"竞赛 {line.id} 各题正确率")

    @web.get("/contests/{contest_id}/scores/export.{fmt}")
    def score_export(request: Request, contest_id: str, fmt: str) -> Response:
        viewer = _viewer(dash, request)
        line, _, people = _detail(dash, viewer, contest_id)
        return download(dash, viewer, Table(f"竞赛{line.id}-成绩", SCORE_COLUMNS, people), fmt,
                        f"竞赛 {line.id} 成绩")


def _detail(dash: Dashboard, viewer: Viewer, contest_id: str
            ) -> tuple[ContestLine, list[list[object]], list[list[object]]]:
    """The contest (Refused 404 when it is not in scope), its questions' rows and its participants' rows."""
    if not contest_id.isdigit() or len(contest_id) > 12:
        raise Refused(404, NOT_FOUND, "没有这场竞赛")
    with dash.app.db.session() as session:
        line = contest(session, viewer.scope, int(contest_id))
        if line is None:
            raise Refused(404, NOT_FOUND, "没有这场竞赛")
        figures = question_figures(session, viewer.scope, line.id)
        people = scores(session, viewer.scope, line.id)
    dash.app.catalog.refresh()
    bank = dash.app.catalog.get(line.bank)
    questions: list[list[object]] = []
    for index, key in enumerate(line.question_keys):
        question = bank.by_key.get(key) if bank is not None else None
        counted = figures.get(index)
        questions.append([index + 1, question.text if question else "（题库中已没有这道题）",
                          question.answer_display() if question else "", counted.participants if counted else 0,
                          counted.correct if counted else 0, counted.rate if counted else None])
    return line, questions, [[s.name, s.branch, s.answers, s.correct, s.points] for s in people]
