"""The HTTP side of `studybot run`: platform callbacks, mounted from the channels that have them."""

from __future__ import annotations

from fastapi import FastAPI

from bot.app import App

__all__ = ["build_web"]


def build_web(app: App) -> FastAPI:
    web = FastAPI(title="studybot", docs_url=None, redoc_url=None, openapi_url=None)

    @web.get("/healthz")
    def health() -> dict[str, object]:
        return {"ok": True, "channels": sorted(app.channels)}

    for channel in app.channels.values():
        if (router := channel.router()) is not None:
            web.include_router(router)
    return web
