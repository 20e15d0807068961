"""bench/h5.py's service, in a child process of its own (spawned: a fresh interpreter, as `studybot run` is) on a
database `prepare` made beforehand in another (the schema and the roster, as an operator's `studybot db upgrade`
and `studybot members import` would): the app, build_web(app) under uvicorn on a loopback socket with the contest
timers on its loop (as bot/service.serve runs them), the RSS sampled, the contest steps' publication times noted.
The parent drives it through a Pipe: ("start",), ("stats", contest_id), ("stop",). With H5_PROFILE=/path set, the
service runs under cProfile and writes its stats there (pstats) when it stops."""

from __future__ import annotations

import asyncio
import os
import re
import threading
import time
import uuid
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import common  # noqa: F401  (puts the project and tests/ on sys.path)
import uvicorn
from sqlalchemy import text

from bot.app import build_app
from bot.clock import SHANGHAI, SystemClock
from bot.messages import Chat, Incoming, Sender
from bot.service import BACKLOG, listen, run_loop, tick_timers, tune_gc
from bot.services.contests.steps import ContestStep
from bot.services.roster import import_roster
from bot.services.roster_file import RosterRow
from bot.settings import load_settings
from bot.web import build_web
from bot.web.h5.contest_view import question_part

SECRET = "bench-h5-secret-0123456789abcdef"
BRANCH = "第一支部"
PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_s() -> float:
    """This process's CPU time (user + system), every thread's."""
    times = os.times()
    return times.user + times.system


def waited_s() -> float:
    """Seconds this process's main thread (its event loop) was ready to run but waited for a core (the kernel's
    run-queue delay): what other processes on the machine cost it."""
    try:
        with open("/proc/self/schedstat") as schedstat:
            return int(schedstat.read().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 1e6


class Sink:
    name = "local"

    def send(self, message: Any) -> None:
        pass

    def router(self) -> None:
        return None

    async def deliver(self, message: Any) -> None:
        pass


def settings_for(tmp: Path, limit: int) -> Any:
    banks = tmp / "banks"
    if not banks.exists():
        banks.mkdir()
        (banks / "bench.yaml").write_text(f"name: 基准题库\ntime_limit: {limit}\nquestions:\n" + "\n".join(
            f"  - {{type: single, question: 基准测试题 {i}（）, options: [甲, 乙, 丙, 丁], answer: A}}"
            for i in range(20)) + "\n", encoding="utf-8")
    return load_settings(Path("/dev/null"), {
        "database": {"url": f"sqlite:///{tmp}/h5.db"},
        "quizzes": {"bank_dirs": [str(banks)], "default_bank": "基准题库"},
        "h5": {"contest_links": "on"}, "web": {"base_url": "http://127.0.0.1", "secret": SECRET}})


def prepare(tmp: Path, members: int, limit: int) -> None:
    """The database the service starts on, made in a process of its own as an operator makes it before `studybot
    run` (`studybot db upgrade`, `studybot members import`): the schema and a roster of one branch, `members`
    strong, the first its 书记. The service's memory is then what a service holds, not what an import held."""
    app = build_app(settings_for(tmp, limit), clock=SystemClock(), seed=1)
    app.db.create_schema()
    rows = [RosterRow(i + 2, f"成员{i:05d}" if i else "张书记", BRANCH, "member" if i else "secretary",
                      {"local": f"u{i}"}) for i in range(members)]
    import_roster(app.db, rows=rows, now=app.clock.now(), label="roster.csv", sleep=lambda _: None)
    app.close()


def prepare_apart(tmp: Path, members: int, limit: int) -> None:
    """`prepare` in a spawned process of its own, waited for."""
    import multiprocessing

    preparing = multiprocessing.get_context("spawn").Process(target=prepare, args=(tmp, members, limit))
    preparing.start()
    preparing.join()
    if preparing.exitcode:
        raise SystemExit("the database could not be prepared (its error is above)")


def build(tmp: Path, limit: int) -> Any:
    app = build_app(settings_for(tmp, limit), clock=SystemClock(), seed=1)
    app.add_channel(Sink())
    app.start()
    return app


def serve_in_child(pipe: Connection, tmp: Path, members: int, questions: int, limit: int) -> None:
    app = build(tmp, limit)
    # (question number, wall time it started) of each question: its start in the contest (the close of the one
    # before), not when its step was published, so that the close's own work counts against the fan-out
    steps: list[tuple[int, float]] = []

    def noted(step: ContestStep) -> None:
        contest = step.running.contest
        if step.kind in ("question", "reveal") and not contest.finished:
            steps.append((contest.number, contest.question_started_at.replace(tzinfo=SHANGHAI).timestamp()))

    web = build_web(app)
    app.contests.steps.listen(noted)  # after the page's own listener: the time the broker had the step
    with app.db.session() as session:
        ids = list(session.execute(text("SELECT id FROM member ORDER BY id")).scalars())
    sock = listen("127.0.0.1", 0)
    tune_gc()
    pipe.send((sock.getsockname()[1], ids))
    if os.environ.get("H5_PROFILE"):
        import cProfile
        profile = cProfile.Profile()
        profile.enable()
        run_loop(_serve(app, web, sock, pipe, steps, questions))
        profile.disable()
        profile.dump_stats(os.environ["H5_PROFILE"])
    else:
        run_loop(_serve(app, web, sock, pipe, steps, questions))


async def _serve(app: Any, web: Any, sock: Any, pipe: Connection, steps: list[tuple[int, float]],
                 questions: int) -> None:
    loop, stop = asyncio.get_running_loop(), asyncio.Event()
    server = uvicorn.Server(uvicorn.Config(web, log_config=None, access_log=False, lifespan="off",
                                           timeout_keep_alive=30, backlog=BACKLOG))
    peak, before, cpu, waited = [rss_mb()], [0.0], [0.0], [0.0]

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.02)

    async def start() -> tuple[int, dict[str, Any]]:
        chat = Chat("local", BRANCH, True, BRANCH)
        replies = app.handle(Incoming(chat, Sender("u0", "张书记"), f"开始竞赛 基准题库 {questions}",
                                      uuid.uuid4().hex, app.clock.now()))
        link = next(m for m in (re.search(r"/h5/contest/(\d+)", r.text) for r in replies) if m)
        contest_id = int(link[1])
        return contest_id, question_part(app.contests.by_id(contest_id), app.clock.now())

    def settled(contest_id: int) -> float:
        """Seconds until the contest's points are all written (a large question's are written after its reveal,
        bot/services/contests/settle_later.py), the memory still sampled meanwhile; -1 after a minute."""
        begun = time.perf_counter()
        while time.perf_counter() - begun < 60:
            with app.db.session() as session:
                done = session.execute(text(
                    "SELECT status = 'finished' AND (settled IS NULL OR settled = current_index + 1) FROM contest "
                    "WHERE id = :c"), {"c": contest_id}).scalar()
            if done:
                return time.perf_counter() - begun
            time.sleep(0.1)
        return -1.0

    def stored(contest_id: int) -> dict[str, Any]:
        ran = {"cpu": cpu_s() - cpu[0], "waited": waited_s() - waited[0]}  # to the last answer, not the points
        points = settled(contest_id)
        with app.db.session() as session:
            count, distinct = session.execute(text(
                "SELECT COUNT(*), COUNT(DISTINCT member_id * 1000 + question_index) FROM contest_answer "
                "WHERE contest_id = :c"), {"c": contest_id}).one()
        return {"stored": count, "distinct": distinct, "rss_before": before[0], "rss_peak": peak[0], "points": points,
                **ran}

    def control() -> None:
        while True:
            command = pipe.recv()
            if command[0] == "start":
                before[0] = peak[0] = rss_mb()
                cpu[0], waited[0] = cpu_s(), waited_s()
                pipe.send(asyncio.run_coroutine_threadsafe(start(), loop).result())
            elif command[0] == "stats":
                pipe.send((list(steps), stored(command[1])))
            else:
                loop.call_soon_threadsafe(lambda: (stop.set(), setattr(server, "should_exit", True)))
                return

    threading.Thread(target=sample, daemon=True).start()
    threading.Thread(target=control, daemon=True).start()
    ticker = asyncio.create_task(tick_timers(app, stop))
    await server.serve(sockets=[sock])
    stop.set()
    await ticker
    app.close()
