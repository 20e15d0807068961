"""DingTalk Stream in a cluster (docs/cluster.md): only the leader connects — DingTalk gives each event to one of an
app's connections, and a standby's would send it through the inbox hop or swallow it if dead — and an instance
that steps down closes its connection; one that leads again in the same process (the same channel object) opens
a new one and answers on it. Two instances in this process on one PostgreSQL database, the real `dingtalk_stream`
client against the fake gateway on loopback; each lease loop runs as under `studybot run`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fakes.dingtalk_gateway import FakeDingTalkGateway, text_of
from helpers import T0, make_app

from bot.app import App
from bot.channels.dingtalk.channel import DingTalkChannel
from bot.clock import ManualClock
from bot.cluster.node import ClusterNode, join_cluster

FAST = {"lease_seconds": 1.0, "renew_seconds": 0.25, "claim_seconds": 1.0}


async def until(ready: Callable[[], Any], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


class Instance:
    def __init__(self, tmp_path: Path, name: str, url: str, gateway: FakeDingTalkGateway) -> None:
        self.app: App = make_app(tmp_path / name, ManualClock(T0), database={"url": url},
                                 cluster={**FAST, "instance": name})
        self.app.add_channel(DingTalkChannel(app=self.app, client_id="ding-id", client_secret="ding-secret",
                                             openapi_endpoint=gateway.endpoint))
        self.node: ClusterNode = join_cluster(self.app)
        self.app.start(service=True, lead=False)  # as `studybot run` on PostgreSQL: the lease decides the rest
        self.looked = 0  # how many times its lease loop looked at the lease without holding it
        take = self.node.leadership.lease.take

        def counted() -> int | None:
            self.looked += 1
            return take()

        self.node.leadership.lease.take = counted  # type: ignore[method-assign]
        self._stop, self._loop = asyncio.Event(), None

    def run(self) -> None:
        self._stop = asyncio.Event()
        self._loop = asyncio.create_task(self.node.leadership.run(self._stop))

    async def halt(self) -> None:
        """Its lease loop stopped, as when `studybot run` is stopped: it steps down and gives the lease back."""
        self._stop.set()
        if self._loop is not None:
            await self._loop

    def leads(self) -> bool:
        return self.node.leading()


def test_only_the_leader_holds_the_stream_and_an_instance_that_leads_again_reconnects(
        tmp_path: Path, postgres_url: str) -> None:
    async def scenario() -> None:
        async with FakeDingTalkGateway() as gateway:
            a, b = (Instance(tmp_path, name, postgres_url, gateway) for name in ("a", "b"))
            try:
                a.run()
                await until(lambda: a.leads() and gateway.open == 1, "a to lead and connect")
                b.run()
                await until(lambda: b.looked >= 4, "b to look at the lease a few times")
                assert not b.leads() and (gateway.connections, gateway.open) == (1, 1)  # the standby stays off

                await a.halt()  # a steps down: its connection closes, b leads and connects
                await until(lambda: b.leads() and gateway.connections == 2 and gateway.open == 1, "b to take over")

                a.run()  # a, in the same process, leads again once b stops
                await b.halt()
                await until(lambda: a.leads() and gateway.connections == 3 and gateway.open == 1,
                            "a to lead again")
                mark = gateway.reply_count()
                await gateway.push(gateway.chatbot_data("u1", "帮助"))
                await gateway.wait_for(lambda body: "开始竞赛" in text_of(body), after=mark)  # answered on it
            finally:
                for instance in (a, b):
                    await instance.halt()
                    instance.app.close()

    asyncio.run(asyncio.wait_for(scenario(), 90))
