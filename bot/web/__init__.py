"""The HTTP side: callbacks, /healthz and the committee's dashboard (bot/web/app.py)."""

from bot.web.app import build_dashboard, build_web

__all__ = ["build_web", "build_dashboard"]
