"""A real browser for the dashboard's tests: Playwright for Python driving Debian's chromium (Playwright cannot
download a browser of its own here). scripts/test installs chromium with apt; where it is missing, or Playwright
is not installed, these tests are skipped with a note saying so (pytest -rs shows it).

The page under test is served by the real FastAPI app on loopback, on uvicorn in a thread of its own, as
`studybot run` serves it. Screenshots go to test-artifacts/ at the repository's root (not committed), so a person
can look at what the browser saw."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.helpers import Uvicorn

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
# The closed network refuses Chromium's background connections, many at a time; these flags keep it quiet.
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}  # a common phone's CSS pixels, as inside the WeCom or DingTalk client


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless chromium, shared by one module's browser tests. Not longer: Playwright's sync API keeps an event
    loop running in this thread while it is open, and the other tests' asyncio.run() refuses to start beside it."""
    if not Path(CHROMIUM).exists():
        pytest.skip("浏览器测试已跳过：未安装 Debian 的 chromium（scripts/test 会用 apt 安装）")
    sync_api = pytest.importorskip("playwright.sync_api", reason="浏览器测试已跳过：未安装 playwright")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def phone_page(chromium: Any) -> Iterator[Any]:
    """A fresh page (its own cookies) at a phone's size."""
    context = chromium.new_context(viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai")
    try:
        yield context.new_page()
    finally:
        context.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def serve() -> Iterator[Any]:
    """serve(asgi_app) -> its base URL: the app on uvicorn on loopback until the test ends."""
    servers: list[tuple[Uvicorn, threading.Thread]] = []

    def start(asgi: Any) -> str:
        port = free_port()
        server = Uvicorn(uvicorn.Config(asgi, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, name="uvicorn-browser-test", daemon=True)
        thread.start()
        server.wait_listening()
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


def screenshot(page: Any, name: str) -> Path:
    """Keep what the browser showed, for a person to look at (test-artifacts/NAME.png)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
