"""Sends by priority: a group's lane at the group robots' 20-a-minute limit, on a virtual clock.

    .venv/bin/python bench/send_priority.py [--replies 200] [--pushes 50] [--reveals 5]

One group's lane (bot/channels/common/send_lanes.py, the one the webhooks and the WeCom long
connection use) holds `--replies` acknowledgements and `--pushes` study pushes, queued at once; a
contest reveal (`Priority.STEP`) is queued every 100 s after that, while the backlog drains. The
clock is virtual (a sleep moves it on), so twelve minutes of sending take milliseconds. Printed: for
each reveal, the time from its queueing to its send (goal: at most one window slot, 60 / 20 = 3 s
on average, and never more than the time until the window next frees); the most messages sent in
any 60-second window (goal: ≤ 20); the messages sent against those queued (nothing dropped); and
whether each priority kept its arrival order. `--reserve 0` shows the lane without the slots kept for
steps: a reveal still goes first, but only when the window moves on."""

from __future__ import annotations

import argparse
import asyncio
import heapq
import time
from collections.abc import Hashable

import common  # noqa: F401  (the project on sys.path)

from bot.channels.common.send_lanes import GROUP_PER_MINUTE, SendLanes
from bot.messages import Priority

WINDOW = 60.0


class VirtualClock:
    """Sleeping moves the clock on; the sleeper with the earliest end wakes first."""

    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), self._seq, future))
        await future

    async def run(self, done: callable) -> None:  # type: ignore[valid-type]
        """Let the loop settle, then wake the next sleeper, until `done()`."""
        while not done():
            for _ in range(50):  # every task started on the way registers its sleep first
                await asyncio.sleep(0)
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)  # a wait given up (a lane woken early): time does not go there
            if self._sleepers and not done():
                due, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, due)
                future.set_result(None)


async def scenario(replies: int, pushes: int, reveals: int, per_minute: int, reserve: int | None) -> dict:
    vt = VirtualClock()
    sent: list[tuple[float, str]] = []

    async def send(key: Hashable, item: str) -> None:
        sent.append((vt.now, item))

    lanes: SendLanes[str] = SendLanes(((per_minute, WINDOW),), send=send, clock=vt.clock, sleep=vt.sleep,
                                      name="bench", reserve=reserve)
    lanes.start()
    for i in range(replies):
        lanes.put("group", f"reply {i}", Priority.REPLY)
    for i in range(pushes):
        lanes.put("group", f"push {i}", Priority.PUSH)
    queued_at: dict[str, float] = {}

    async def reveals_later() -> None:
        for i in range(reveals):
            await vt.sleep(100.0)
            queued_at[f"reveal {i}"] = vt.now
            lanes.put("group", f"reveal {i}", Priority.STEP)

    feeder = asyncio.ensure_future(reveals_later())
    total = replies + pushes + reveals
    await vt.run(lambda: len(sent) == total)
    await feeder
    await lanes.stop()
    at = {item: t for t, item in sent}
    stamps = [t for t, _ in sent]
    busiest = max(sum(1 for t in stamps if start <= t < start + WINDOW) for start in stamps)
    order = [item for _, item in sent]
    in_order = all([x for x in order if x.startswith(kind)] == sorted(
        [x for x in order if x.startswith(kind)], key=lambda x: int(x.split()[1])) for kind in ("reply", "push"))
    return {"waits": [at[name] - queued_at[name] for name in sorted(queued_at)], "busiest": busiest,
            "sent": len(sent), "total": total, "in_order": in_order, "last": stamps[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=200)
    parser.add_argument("--pushes", type=int, default=50)
    parser.add_argument("--reveals", type=int, default=5)
    parser.add_argument("--per-minute", type=int, default=GROUP_PER_MINUTE)
    parser.add_argument("--reserve", type=int, default=None, help="slots kept for steps (default: a tenth)")
    args = parser.parse_args()
    started = time.perf_counter()
    figures = asyncio.run(scenario(args.replies, args.pushes, args.reveals, args.per_minute, args.reserve))
    wall = time.perf_counter() - started
    slot = WINDOW / args.per_minute
    print(f"one group at {args.per_minute}/min: {args.replies} replies + {args.pushes} pushes queued at 0 s, "
          f"a reveal every 100 s ({args.reveals})")
    for i, wait in enumerate(figures["waits"]):
        print(f"  reveal {i}: queued to sent {wait:6.2f} s")
    worst = max(figures["waits"], default=0.0)
    print(f"worst reveal wait {worst:.2f} s (one slot is {slot:.2f} s on average; the window frees at most "
          f"{WINDOW:.0f} s after it filled)")
    print(f"most in any {WINDOW:.0f} s window: {figures['busiest']} (limit {args.per_minute}): "
          f"{'never exceeded' if figures['busiest'] <= args.per_minute else 'EXCEEDED'}")
    print(f"sent {figures['sent']} of {figures['total']} (none dropped: {figures['sent'] == figures['total']}); "
          f"arrival order kept within each priority: {figures['in_order']}")
    print(f"last message at {figures['last'] / 60:.1f} min of virtual time; {wall * 1000:.0f} ms of wall time")


if __name__ == "__main__":
    main()
