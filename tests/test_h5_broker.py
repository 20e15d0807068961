"""The live contest page's fan-out (bot/web/h5/broker.py) through ASGI send/receive, as uvicorn drives it: every open
page gets each step once (more pages than one slice of wake-ups), a member's page the member's version and a public
page the public one, a page opened later starts from the next step, and a page that goes away is let go."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.web.h5.broker import HELLO, SLICE, Broker


class Page:
    """One page's ASGI side: what the broker wrote, and a disconnect the test decides."""

    def __init__(self, expect: int) -> None:
        self.chunks: list[bytes] = []
        self.left = asyncio.Event()
        self.expect, self.got = expect, asyncio.Event()
        self.asked = 0

    async def send(self, message: dict[str, Any]) -> None:
        assert message["type"] == "http.response.body" and message["more_body"]
        self.chunks.append(message["body"])
        if len(self.chunks) >= self.expect:
            self.got.set()

    async def receive(self) -> dict[str, Any]:
        self.asked += 1
        if self.asked == 1:
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.left.wait()
        return {"type": "http.disconnect"}

    def steps(self) -> list[dict[str, Any]]:
        text = b"".join(self.chunks).decode()
        return [json.loads(line[6:]) for line in text.split("\n") if line.startswith("data: ")]


async def _fan_out() -> None:
    broker = Broker(keepalive=3600)
    members = [Page(expect=3) for _ in range(SLICE * 2 + 7)]
    public = Page(expect=3)
    tasks = [asyncio.create_task(broker.serve(7, True, p.send, p.receive)) for p in members]
    tasks.append(asyncio.create_task(broker.serve(7, False, public.send, public.receive)))
    while broker.pages(7) < len(tasks) or not all(p.chunks for p in [*members, public]):
        await asyncio.sleep(0)
    broker.publish(7, {"phase": "question", "n": 1, "names": ["张三"]}, {"phase": "question", "n": 1})
    late = Page(expect=2)
    tasks.append(asyncio.create_task(broker.serve(7, True, late.send, late.receive)))
    while not late.chunks:
        await asyncio.sleep(0)
    broker.publish(7, {"phase": "question", "n": 2, "names": []}, {"phase": "question", "n": 2})
    for page in [*members, public, late]:
        await asyncio.wait_for(page.got.wait(), 10)
    assert all(p.chunks[0] == HELLO for p in [*members, public, late])
    assert all([s["n"] for s in p.steps()] == [1, 2] for p in members)
    assert members[-1].steps()[0]["names"] == ["张三"]
    assert public.steps() == [{"phase": "question", "n": 1}, {"phase": "question", "n": 2}]
    assert [s["n"] for s in late.steps()] == [2]
    for page in [*members, public, late]:
        page.left.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 10)
    assert broker.pages(7) == 0


def test_every_page_gets_each_step_once_and_pages_that_leave_are_let_go() -> None:
    asyncio.run(_fan_out())


async def _stopping() -> None:
    broker = Broker(keepalive=3600)
    parked, woken = Page(expect=1), Page(expect=2)
    first = asyncio.create_task(broker.serve(8, True, parked.send, parked.receive))
    second = asyncio.create_task(broker.serve(8, True, woken.send, woken.receive))
    while broker.pages(8) < 2 or not (parked.chunks and woken.chunks):
        await asyncio.sleep(0)
    first.cancel()  # the server stopping while the page waits: the page ends
    broker.publish(8, {"phase": "question", "n": 1}, {"phase": "question", "n": 1})
    second.cancel()  # a step's wake-up and the server stopping in the same turn: the stop is not swallowed
    for task in (first, second):
        try:
            await asyncio.wait_for(task, 10)
        except asyncio.CancelledError:
            pass
        assert task.cancelled()
    assert broker.pages(8) == 0


def test_a_page_still_stops_with_the_server_whether_or_not_a_step_wakes_it() -> None:
    """Steps wake a page by cancelling its wait on `receive`; the server's own cancellation must still end it."""
    asyncio.run(_stopping())
