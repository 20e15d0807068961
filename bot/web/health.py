"""/healthz and /readyz, for a load balancer or a monitor: no login, no personal data, never cached.

- /healthz: the process is up and serving (200, `{"ok": true}`; with the channels under `studybot run`). It asks
  nothing of the database, so a database outage does not get every instance restarted.
- /readyz: the database answers within a couple of seconds (200, `{"database": "ok", "role": …}`), else 503 with
  the reason. `role` is App.role(): "single" for the one bot on a SQLite file, "leader" or "standby" where
  several instances share a PostgreSQL database."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.responses import JSONResponse

from bot.app import App
from bot.storage.readiness import ReadinessProbe

__all__ = ["add_health_pages"]

_NOT_CACHED = {"Cache-Control": "no-store"}


def add_health_pages(web: FastAPI, app: App, *, with_channels: bool = False) -> None:
    probe = ReadinessProbe(app.db)

    @web.get("/healthz")
    def healthz() -> JSONResponse:
        body: dict[str, object] = {"ok": True}
        if with_channels:
            body["channels"] = sorted(app.channels)
        return JSONResponse(body, headers=_NOT_CACHED)

    @web.get("/readyz")
    async def readyz() -> JSONResponse:
        problem = await probe.problem()
        if problem is None:
            return JSONResponse({"database": "ok", "role": app.role()}, headers=_NOT_CACHED)
        return JSONResponse({"database": "unavailable", "reason": problem, "role": app.role()}, status_code=503,
                            headers=_NOT_CACHED)
