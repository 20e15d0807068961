"""The live contest page's Server-Sent Events against uvicorn on loopback: a member's stream gets question →
reveal (with the names) and the next question → … → the results, at the moments the chat group gets them; the
public stream gets the questions' text only."""

from __future__ import annotations

import json
import queue
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from bot.web import build_web
from tests.h5_contest_helpers import Live, csrf_of, live_contest
from tests.helpers import Uvicorn, advance_to
from tests.web_helpers import login


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path, database_url: str) -> Iterator[tuple[Live, str]]:
    live = live_contest(tmp_path, database={"url": database_url})
    port = _port()
    server = Uvicorn(uvicorn.Config(build_web(live.app), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    server.wait_listening()
    yield live, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


def read_events(url: str, cookies: dict[str, str], into: queue.Queue[Any], ready: threading.Event) -> None:
    with httpx.Client(cookies=cookies, timeout=10) as client, client.stream("GET", url) as response:
        for line in response.iter_lines():
            if line.startswith(": connected"):
                ready.set()
            if line.startswith("data: "):
                event = json.loads(line[6:])
                into.put(event)
                if event["phase"] != "question":
                    return


def stream(url: str, cookies: dict[str, str]) -> queue.Queue[Any]:
    events: queue.Queue[Any] = queue.Queue()
    ready = threading.Event()
    threading.Thread(target=read_events, args=(url, cookies, events, ready), daemon=True).start()
    assert ready.wait(5), "the stream did not open"
    return events


def test_the_stream_delivers_each_step_as_the_group_gets_it(served: tuple[Live, str]) -> None:
    live, base = served
    client = login(live.app, "张三")
    cookies = dict(client.cookies)
    token = csrf_of(client, live.path)
    member = stream(f"{base}{live.path}/events", cookies)
    public = stream(f"{base}{live.path}/events", {})
    with httpx.Client(cookies=cookies, base_url=base) as http:
        answer = live.running().contest.current.answer.split("、")[0]
        told = http.post(f"{live.path}/answer", data={"csrf": token, "question_key": live.key(0), "choice": answer})
        assert told.json()["ok"], told.text
    seen = []
    for number in (2, 3):
        advance_to(live.app, live.clock, live.clock.now() + timedelta(seconds=10))
        event = member.get(timeout=5)
        assert event["phase"] == "question" and event["question"]["number"] == number
        assert event["reveal"]["number"] == number - 1 and event["question"]["remaining_ms"] == 10_000
        seen.append(event["reveal"]["names"])
        assert live.channel.sent[-1].key == live.key(number - 1)  # the group got the same step
        shown = public.get(timeout=5)
        assert shown["question"]["number"] == number and "reveal" not in shown and "key" not in shown["question"]
    assert seen == [["张三"], []]
    advance_to(live.app, live.clock, live.clock.now() + timedelta(seconds=10))
    last = member.get(timeout=5)
    assert last["phase"] == "results" and last["results"]["podium"][0]["name"] == "张三"
    assert public.get(timeout=5) == {"contest": live.contest_id, "phase": "ended"}
