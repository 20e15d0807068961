"""Planning and sending pushes at scale: the job store, the plans and the outbox worker of the bot,
SQLite on disk, a fake platform that enforces the group robots' limit.

    .venv/bin/python bench/pushes.py [--groups 500] [--pushes 5000] [--robots 250]

1. Planning: a plan file with one weekly entry per group (500 groups, a year = 26,000 pushes):
   time to read it and create the jobs, to reconcile again with nothing changed, to reconcile after
   50 entries changed and 50 removed, and to list the year's occurrences of every job.
2. Fan-out: `--pushes` rows in the outbox for `--robots` group robots, sent by the outbox worker
   (the service's async path, `deliver` awaited) on a virtual clock (its sleep moves the clock, so a
   wait of minutes takes no time). The fake platform counts any robot that gets more than 20
   messages in a 60-second window (violations) and any push it receives twice. The time the limits
   allow: the last robot's n-th message cannot go before floor((n-1)/20) minutes. Run twice: 5,000
   pushes over 250 robots (20 each: one window) and 25,000 (100 each: the last batch at 4 minutes)."""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import defaultdict, deque
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.clock import SHANGHAI, ManualClock  # noqa: E402
from bot.jobs.outbox_worker import OutboxWorker  # noqa: E402
from bot.messages import Outgoing  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.storage.models import OutboxRow  # noqa: E402
from bot.storage.outbox import Push, enqueue  # noqa: E402
from scheduler.phrases import occurrences  # noqa: E402

START = datetime(2026, 12, 1, 8, 0)
DAYS = ["一", "二", "三", "四", "五"]


class FakePlatform:
    """A channel whose deliver() is the platform: 20 a minute per robot, or it counts a violation."""

    name = "fake"

    def __init__(self, clock: ManualClock, per_minute: int = 20) -> None:
        self.clock, self.per_minute = clock, per_minute
        self.windows: dict[str, deque[datetime]] = defaultdict(deque)
        self.violations = 0
        self.received: dict[str, int] = defaultdict(int)
        self.last = START

    async def deliver(self, message: Outgoing) -> None:
        now = self.clock.now()
        window = self.windows[message.chat.chat_id]
        while window and window[0] <= now - timedelta(minutes=1):
            window.popleft()
        if len(window) >= self.per_minute:
            self.violations += 1
        window.append(now)
        self.received[message.key] += 1
        self.last = max(self.last, now)

    def send(self, message: Outgoing) -> None:  # not used: the worker awaits deliver()
        raise AssertionError("deliver() expected")


def planning(workdir: Path, groups: int) -> None:
    plan = workdir / "plan.yaml"
    lines = ["plans:"]
    for i in range(groups):
        lines += [f"  - name: 群{i}", f"    when: 每周{DAYS[i % 5]} {8 + i % 9:02d}:{i % 60:02d}",
                  f"    to: [群{i}]", "    items: [02-sanhui-yike, 05-qinglian-wenhua]"]
    plan.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = load_settings(Path("/dev/null"), {"database": {"url": f"sqlite:///{workdir}/plan.db"},
                                                 "content": {"plans": [str(plan)]}})
    clock = ManualClock(START)
    began = time.perf_counter()
    app = build_app(settings, clock=clock)
    app.db.create_schema()
    built = time.perf_counter()
    added, changed, removed = app.schedule.reconcile()
    created = time.perf_counter()
    again = app.schedule.reconcile()
    same = time.perf_counter()
    text = plan.read_text(encoding="utf-8").replace("每周一 08:", "每周二 18:")
    plan.write_text("\n".join(text.splitlines()[: 1 + 4 * (groups - 50)]) + "\n", encoding="utf-8")
    app.schedule.refresh_plans(force=True)
    edited = time.perf_counter()
    jobs = app.schedule.jobs.jobs("plan:")
    year = 0
    for entry in app.schedule.pushes.plans.values():
        year += len(occurrences(entry.when.trigger, START.replace(tzinfo=SHANGHAI),
                                (START + timedelta(days=365)).replace(tzinfo=SHANGHAI)))
    listed = time.perf_counter()
    app.close()
    print(f"planning, {groups} groups, one weekly entry each:")
    print(f"  read plans + build app {built - began:.2f} s; jobs created: {added} added in {created - built:.2f} s")
    print(f"  reconcile again (nothing changed): {again} in {same - created:.3f} s")
    print("  edit (the Monday 08:xx entries moved to Tuesday 18:xx, the last 50 removed) and reload: "
          f"{edited - same:.2f} s, {len(jobs)} jobs left")
    print(f"  a year of occurrences for every job: {year:,} pushes listed in {listed - edited:.2f} s")


async def fan_out(workdir: Path, pushes: int, robots: int, name: str) -> None:
    settings = load_settings(Path("/dev/null"), {"database": {"url": f"sqlite:///{workdir}/{name}.db"}})
    clock = ManualClock(START)
    app = build_app(settings, clock=clock)
    app.db.create_schema()
    platform = FakePlatform(clock)
    app.add_channel(platform)
    now = clock.now()
    with app.db.session() as session:
        enqueue(session=session, now=now, pushes=[
            Push(key=f"fan:{i}", kind="study", channel="fake", chat_id=f"robot{i % robots}", chat_name="",
                 is_group=True, text=f"学习推送 {i}", due_at=now) for i in range(pushes)])
        session.commit()
    worker = OutboxWorker(db=app.db, channels=lambda: app.channels, now=clock.now, sleep=clock.sleep, poll=60)
    began = time.perf_counter()
    rounds = 0
    while True:
        rounds += 1
        await worker.run_once()
        due = worker.next_due()
        if due is None:
            break
        if due > clock.now():
            await clock.sleep((due - clock.now()).total_seconds())
    wall = time.perf_counter() - began
    with app.db.session() as session:
        statuses = [row.status for row in session.exec(select(OutboxRow).where(OutboxRow.channel == "fake"))]
    app.close()
    per_robot = -(-pushes // robots)
    allowed = timedelta(minutes=(per_robot - 1) // 20)
    took = platform.last - START
    twice = sum(1 for n in platform.received.values() if n > 1)
    print(f"fan-out, {pushes:,} pushes over {robots} robots ({per_robot} each), limit 20/min per robot:")
    print(f"  limit violations {platform.violations}, pushes received twice {twice}, "
          f"sent {statuses.count('sent'):,}/{pushes:,}, pending {statuses.count('pending')}")
    over = (took - allowed).total_seconds()
    share = f"{over / allowed.total_seconds():.2%}" if allowed else "n/a (the limits allow all at once)"
    print(f"  last push at +{took.total_seconds():.1f} s virtual; the limits allow +{allowed.total_seconds():.0f} s "
          f"(over by {over:.1f} s = {share}); {rounds} rounds; wall time {wall:.2f} s ({pushes / wall:,.0f} pushes/s)")
    assert platform.violations == 0 and twice == 0 and statuses.count("sent") == pushes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--pushes", type=int, default=5000)
    parser.add_argument("--robots", type=int, default=250)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        planning(workdir, args.groups)
        asyncio.run(fan_out(workdir, args.pushes, args.robots, "fan1"))
        asyncio.run(fan_out(workdir, args.pushes * 5, args.robots, "fan5"))


if __name__ == "__main__":
    main()
