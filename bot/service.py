"""`studybot run` with platform channels: one asyncio loop for the HTTP server (uvicorn), each
channel's own tasks (a websocket, a send queue) and the contest timers.

The core (dispatcher, services, SQLite) runs on this loop's thread only: handlers take well
under a millisecond, so callbacks call `app.handle` directly rather than from threads, and the
in-memory contest state is never touched by two threads. Blocking SDK calls (wechatpy's HTTP
client) run in threads inside their adapter."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import uvicorn

from bot.app import App
from bot.ingress import WINDOW
from bot.web import build_web
from safeio.oserrors import os_reason

__all__ = ["serve", "listen", "run_loop", "tick_timers", "refresh_jobs", "tune_gc", "PortUnavailable", "BACKLOG"]

log = logging.getLogger(__name__)
T = TypeVar("T")
TICK_SECONDS = 0.2
# connections the kernel holds until the loop accepts them (capped by net.core.somaxconn, 4096 on current kernels).
# uvicorn listens again with its own `backlog` (2048 unless told): pass this to its Config too. 10,000 members
# answering within seconds fill 2,048 while the loop is busy a moment, and a connection dropped from a full queue is
# tried again by the phone only a second later (bench/h5.py: thousands of one-second answers)
BACKLOG = 4096


class PortUnavailable(Exception):
    """server.host/server.port cannot be listened on; the text is for the admin."""


def listen(host: str, port: int, backlog: int = BACKLOG) -> socket.socket:
    """The service's socket, listening before the channels start: a port already taken stops the start
    before anything connects, and a callback that comes while the channels start waits in the backlog
    instead of being refused. (uvicorn's own binding exits the process on failure, with an English log.)"""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise PortUnavailable(f"无法在 {host}:{port} 上监听（{os_reason(exc)}）：端口可能已被占用，"
                              "请在配置 server.port 中换一个端口") from None
    sock.set_inheritable(True)
    return sock


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` on the service's event loop: uvloop's where it is installed (uvicorn[standard] brings it on Linux
    and macOS), asyncio's own otherwise. uvloop does the sockets' work in C: with 10,000 members on the live
    contest page (bench/h5.py, a quiet machine) the answers' p99 was 80-90 ms on it against 263 ms on asyncio's
    loop, for 6% less CPU."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def tune_gc() -> None:
    """Everything loaded at start (banks, settings, SQLAlchemy's metadata) lives for the whole run:
    keep it out of the collector's scans, and collect less often, since every message allocates a
    few thousand short-lived objects and little cyclic garbage (bench/wecom.py, bench/answers.py)."""
    gc.freeze()
    gc.set_threshold(20_000, 50, 50)


async def tick_timers(app: App, stop: asyncio.Event, gate: Callable[[], bool] | None = None) -> None:
    """Fire contest deadlines as they come due, until `stop` is set (and only while `gate()`, when given)."""
    while not stop.is_set():
        try:
            if gate is None or gate():
                app.fire_due_timers()
        except Exception:  # one bad timer must not stop the others
            log.exception("timer failed")
        try:
            await asyncio.wait_for(stop.wait(), TICK_SECONDS)
        except TimeoutError:
            pass


async def serve(app: App, stop: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (or `stop` is set): channels started, HTTP server up, timers ticking.
    On PostgreSQL the instance joins the cluster (bot/cluster/): it serves HTTP at once and does the leader's
    work (channels, timers, jobs, outbox) only while it holds the lease."""
    server_settings = app.settings.server
    listening = listen(server_settings.host, server_settings.port)
    if not app.db.is_sqlite:
        await _serve_in_cluster(app, listening, stop or asyncio.Event())
        return
    app.start(service=True)
    app.ingress.window = WINDOW  # the platforms' messages share commits from here on (bot/ingress.py)
    tune_gc()
    channels = list(app.channels.values())
    stop = stop or asyncio.Event()
    config = uvicorn.Config(build_web(app), host=server_settings.host, port=server_settings.port,
                            log_config=None, access_log=False, lifespan="off", backlog=BACKLOG)
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # ours below stop everything, not just uvicorn
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: (stop.set(), setattr(server, "should_exit", True)))
    for channel in channels:
        await channel.start()
    log.info("studybot serving on %s:%d with channels %s", config.host, config.port, sorted(app.channels))
    ticker = asyncio.create_task(tick_timers(app, stop))
    watcher = asyncio.create_task(_exit_when(stop, server))
    app.schedule.jobs.start()  # APScheduler runs the scheduled jobs from here on
    outbox = asyncio.create_task(app.schedule.outbox.run(stop))
    refresher = asyncio.create_task(refresh_jobs(app, stop))
    try:
        await server.serve(sockets=[listening])
    finally:
        stop.set()
        await ticker
        await watcher
        await outbox
        await refresher
        for channel in reversed(channels):
            try:
                await channel.stop()
            except Exception:
                log.exception("stopping channel %s failed", channel.name)
        app.close()


JOB_REFRESH_SECONDS = 60.0


async def refresh_jobs(app: App, stop: asyncio.Event) -> None:
    """`studybot reload`, `push add` and `meetings add` change the job store from another process;
    APScheduler only looks again at its next wake-up, so wake it every minute."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), JOB_REFRESH_SECONDS)
        except TimeoutError:
            try:
                app.schedule.refresh_plans()
                app.schedule.jobs.scheduler.wakeup()
            except Exception:
                log.exception("refreshing the scheduled jobs failed")


async def _serve_in_cluster(app: App, listening: socket.socket, stop: asyncio.Event) -> None:
    from bot.cluster.node import join_cluster

    node = join_cluster(app)
    app.start(service=True, lead=False)
    app.ingress.window = WINDOW  # as on SQLite: the leader's batches fenced, a standby's handed over whole
    tune_gc()
    server_settings = app.settings.server
    config = uvicorn.Config(build_web(app), host=server_settings.host, port=server_settings.port,
                            log_config=None, access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: (stop.set(), setattr(server, "should_exit", True)))
    log.info("studybot serving on %s:%d as %s (cluster on PostgreSQL)", config.host, config.port, node.holder)
    leading = asyncio.create_task(node.leadership.run(stop))
    watcher = asyncio.create_task(_exit_when(stop, server))
    try:
        await server.serve(sockets=[listening])
    finally:
        stop.set()
        await watcher
        await leading  # steps down (the leader's work stopped, the lease released) if it led
        app.close()


async def _exit_when(stop: asyncio.Event, server: uvicorn.Server) -> None:
    await stop.wait()
    server.should_exit = True
