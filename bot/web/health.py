"""/healthz and /readyz, for a load balancer or a monitor: no login, no personal data, never cached.

- /healthz: the process is up and serving (200, `{"ok": true}`; with the channels under `studybot run`). It asks
  nothing of the database, so a database outage does not get every instance restarted.
- /readyz: the database answers within a couple of seconds (200, `{"database": "ok", "role": …}`), else 503 with
  the reason. `role` is App.role(): "single" for the one bot on a SQLite file, "leader" or "standby" where
  several instances share a PostgreSQL database. /readyz?role=leader is 503 on any instance but the one holding
  the contests (leader, or the single bot): the health check of a pool for the live contest pages."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import JSONResponse

from bot.app import App
from bot.storage.readiness import ReadinessProbe

__all__ = ["add_health_pages"]

_NOT_CACHED = {"Cache-Control": "no-store"}
LEADING = ("leader", "single")  # the roles that hold the contests' state


def add_health_pages(web: FastAPI, app: App, *, with_channels: bool = False) -> None:
    probe = ReadinessProbe(app.db)

    @web.get("/healthz")
    def healthz() -> JSONResponse:
        body: dict[str, object] = {"ok": True}
        if with_channels:
            body["channels"] = sorted(app.channels)
        return JSONResponse(body, headers=_NOT_CACHED)

    @web.get("/readyz")
    async def readyz(role: str = "") -> JSONResponse:
        problem = await probe.problem()
        if problem is None and role == "leader" and app.role() not in LEADING:
            # the check of a load balancer's pool for what only the leader serves (the live contest pages)
            return JSONResponse({"database": "ok", "role": app.role(), "reason": "not the leader"},
                                status_code=503, headers=_NOT_CACHED)
        if problem is None:
            return JSONResponse({"database": "ok", "role": app.role()}, headers=_NOT_CACHED)
        return JSONResponse({"database": "unavailable", "reason": problem, "role": app.role()}, status_code=503,
                            headers=_NOT_CACHED)
