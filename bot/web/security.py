"""What every dashboard response carries, and the checks on what comes in.

- CSP `default-src 'self'` and no inline scripts: a name or a question text that slipped past escaping still runs
  nothing. Charts read their data from a JSON block through a static script.
- X-Frame-Options DENY and frame-ancestors 'none': no other site may frame the dashboard (clickjacking). Opening it
  inside WeCom's or DingTalk's own browser is not framing. With `web.embed` on, WeCom's and DingTalk's web
  consoles/workbenches (`web.frame_ancestors`) may show it in an iframe: CSP frame-ancestors lists them and
  X-Frame-Options is left out (it has no allow-list that browsers honour; ALLOW-FROM is ignored, and DENY would
  win over the CSP in older browsers).
- Cache-Control no-store on pages: every page is someone's own or a branch's figures, not for a shared cache or the
  back button of a borrowed phone. Static files (CSS, vendored scripts) may be cached.
- Forms: POST bodies are url-encoded and read here (no python-multipart: the forms carry a few short fields)."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeaders", "fixed_headers", "form_fields", "form_lists", "MAX_FORM_BYTES", "csp"]

MAX_FORM_BYTES = 16 * 1024


def csp(frame_ancestors: list[str] | None = None) -> str:
    """The Content-Security-Policy: frame-ancestors 'none' unless some origins may frame the dashboard."""
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
            f"base-uri 'self'; form-action 'self'; frame-ancestors {ancestors}")


def fixed_headers(frame_ancestors: list[str] | None = None) -> list[tuple[str, str]]:
    """The headers every response carries (a page's also Cache-Control no-store). The live contest page's plain
    routes (bot/web/plain.py) write them themselves."""
    # Referrer-Policy same-origin: a login link's token must not leave in a Referer
    fixed = [("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin")]
    if not frame_ancestors:
        fixed.append(("X-Frame-Options", "DENY"))
    fixed.append(("Content-Security-Policy", csp(frame_ancestors)))
    return fixed


class SecurityHeaders:
    """The headers above on every response, and the session's renewed cookie (Dashboard.viewer leaves it in the
    request's state). A plain ASGI middleware, not `@app.middleware("http")`: that one (BaseHTTPMiddleware) runs each
    request in a task group of its own and passes every chunk of a streaming body through a memory stream, which cost
    ~1 ms per request and tens of KB per open event stream (bench/h5.py: 10,000 live contest pages)."""

    def __init__(self, app: ASGIApp, frame_ancestors: list[str] | None = None) -> None:
        self.app = app
        self.fixed = fixed_headers(frame_ancestors)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        static = scope["path"].startswith("/static/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.fixed:
                    headers[name] = value
                if not static:
                    headers["Cache-Control"] = "no-store"
                renewed = state.get("set_cookie")
                if renewed is not None:
                    holder = Response()
                    renewed(holder)
                    for name, value in holder.raw_headers:
                        if name == b"set-cookie":
                            headers.append("set-cookie", value.decode("latin-1"))
            await send(message)

        await self.app(scope, receive, with_headers)


async def form_fields(request: Request) -> dict[str, str]:
    """A url-encoded form's fields (the first value of each); {} for anything else or anything too large."""
    return {key: values[0] for key, values in (await form_lists(request)).items()}


async def form_lists(request: Request) -> dict[str, list[str]]:
    """A url-encoded form's fields, each with all its values (the boxes of a 多选); {} for anything else or
    anything too large."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
