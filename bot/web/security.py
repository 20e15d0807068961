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

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

__all__ = ["security_headers", "headers_for", "form_fields", "MAX_FORM_BYTES", "csp"]

MAX_FORM_BYTES = 16 * 1024
Middleware = Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]


def csp(frame_ancestors: list[str] | None = None) -> str:
    """The Content-Security-Policy: frame-ancestors 'none' unless some origins may frame the dashboard."""
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
            f"base-uri 'self'; form-action 'self'; frame-ancestors {ancestors}")


CSP = csp()


def headers_for(frame_ancestors: list[str] | None = None) -> Middleware:
    """The middleware; `frame_ancestors` (web.embed on) lets those origins frame the pages."""
    policy = csp(frame_ancestors)

    async def add_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        headers = response.headers
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"  # a login link's token must not leave in a Referer
        if not frame_ancestors:
            headers["X-Frame-Options"] = "DENY"
        headers["Content-Security-Policy"] = policy
        if not request.url.path.startswith("/static/"):
            headers["Cache-Control"] = "no-store"
        renewed = getattr(request.state, "set_cookie", None)
        if renewed is not None:
            renewed(response)
        return response

    return add_headers


security_headers = headers_for()


async def form_fields(request: Request) -> dict[str, str]:
    """A url-encoded form's fields (the first value of each); {} for anything else or anything too large."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    parsed = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items()}
