"""Card clicks through the WeCom long-connection adapter: the real websockets client, the whole bot,
SQLite on disk, the fake WeCom server of the tests on loopback.

    .venv/bin/python bench/wecom_ws.py [--members 500] [--groups 5]

Each group's members are on its branch's roster (a question closes once all of them have answered;
the first is its 书记, whose contest is scored) and first say hello (not timed); each 书记 starts a
two-question contest. Burst: every member clicks an answer on question 1's card at once: frames per
second through the adapter and dispatcher. Paced: question 2's clicks are offered at `--rate` per
second, as members tap: p50/p99 time from a click frame leaving the fake server to its card update
coming back (for the last click of a group, which closes the question and gets no note, to the
group's message that reveals it). Checks every click got its reply and every answer is stored. The
fake server shares this process (and its CPU) with the bot."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import BANK  # noqa: E402 - also puts the project on sys.path
from fakes.wecom_ws_server import FakeWeComServer, pushed  # noqa: E402
from helpers import T0, enrol, write_bank  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.channels.wecom.ws import WeComRobotWS  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.settings import load_settings  # noqa: E402


async def bench(members: int, groups: int, rate: float, workdir: Path) -> None:
    write_bank(workdir / "banks", BANK)
    clock = ManualClock(T0)
    async with FakeWeComServer() as server:
        settings = load_settings(Path("/dev/null"), {
            "database": {"url": f"sqlite:///{workdir}/bench.db"},
            "quizzes": {"bank_dirs": [str(workdir / "banks")], "default_bank": "基准题库",
                        "acknowledge_answers": True},
            "wecom": {"corp_id": "x", "robot": {"mode": "websocket", "bot_id": "B", "secret": "S",
                                                "ws_url": server.url}}})
        app = build_app(settings, clock=clock, seed=1)
        adapter = WeComRobotWS(app=app, settings=settings.wecom.robot, limits=((10_000, 60.0),))
        app.add_channel(adapter)
        app.start()
        await adapter.start()
        await server.wait_connected()
        for g in range(groups):  # a group's branch is named after its chat id (no mapping in the settings)
            enrol(app, f"m{g}-0", *(f"m{g}-{m}" for m in range(1, members)), branch=f"g{g}", channel="wecom")
        for m in range(members):  # registration is not what this measures
            for g in range(groups):
                await server.say(f"m{g}-{m}", "@学习助手 大家好", chat=f"g{g}")
        await asyncio.sleep(1.0)  # let the bot work through the hellos
        cards = []
        for g in range(groups):
            mark = len(server.received)
            await server.say(f"m{g}-0", "@学习助手 开始竞赛 基准题库 2 600秒", chat=f"g{g}")
            frame = await server.wait_for(pushed("template_card"), after=mark, timeout=60)
            cards.append(frame["body"]["template_card"])

        async def clicks(round_: str, cards: list[dict], rate: float | None) -> tuple[float, list[float]]:
            sent: dict[str, float] = {}
            mark = len(server.received)
            started = time.perf_counter()
            for m in range(members):
                for g, card in enumerate(cards):
                    if rate:
                        await asyncio.sleep(max(0.0, started + len(sent) / rate - time.perf_counter()))
                    req_id = f"{round_}{g}-{m}"
                    sent[req_id] = time.perf_counter()
                    await server.click(f"m{g}-{m}", card, chat=f"g{g}", req_id=req_id,
                                       key=card["button_list"][0]["key"])
            # every click gets its note on the member's card, except each group's last: it closes the question,
            # and its reply is the group's message revealing it (with the next question, or the results)
            def steps() -> dict[int, float]:
                found: dict[int, float] = {}
                for f, at in zip(server.received[mark:], server.times[mark:]):
                    if f.get("cmd") == "aibot_send_msg" and f["body"].get("chatid", "").startswith("g"):
                        found.setdefault(int(f["body"]["chatid"][1:]), at)
                return found

            deadline = time.monotonic() + 120
            while ((len(server.frames("aibot_respond_update_msg", after=mark)) < len(sent) - len(cards)
                    or len(steps()) < len(cards)) and time.monotonic() < deadline):
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - started
            updated = {f["headers"]["req_id"]: at for f, at in zip(server.received, server.times)
                       if f.get("cmd") == "aibot_respond_update_msg"}
            closing = {f"{round_}{g}-{members - 1}": at for g, at in steps().items()}
            if set(closing) & set(updated):
                sys.exit("a click that closed its question also got a note")
            updated |= closing
            missing = [req_id for req_id in sent if req_id not in updated]
            if missing:
                sys.exit(f"{len(missing)} clicks got no reply")
            return elapsed, sorted(updated[r] - at for r, at in sent.items())

        mark = len(server.received)
        burst_s, _ = await clicks("a", cards, None)
        # every member answered: each group's question closed and question 2's card was pushed
        deadline = time.monotonic() + 60
        while True:
            second = [f["body"]["template_card"] for f in server.received[mark:] if pushed("template_card")(f)]
            if len(second) >= groups or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        if len(second) < groups:
            sys.exit(f"only {len(second)} of {groups} groups got question 2")
        paced_s, latencies = await clicks("b", second[-groups:], rate)
        with app.db.session() as session:
            stored = session.exec(text("SELECT count(*) FROM contest_answer")).one()[0]
        await adapter.stop()
        app.close()
    total = members * groups
    p99 = latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000
    print(f"burst: {total} click frames in {burst_s:.2f} s: {total / burst_s:,.0f} frames/s "
          "through the long connection")
    print(f"paced at {rate:.0f}/s offered: {total} clicks in {paced_s:.2f} s; click -> card update "
          f"p50 {statistics.median(latencies) * 1000:.1f} ms, p99 {p99:.1f} ms")
    print(f"answers stored: {stored} of {2 * total}")
    if stored != 2 * total:
        sys.exit("some answers were lost")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--groups", type=int, default=5)
    parser.add_argument("--rate", type=float, default=300.0, help="clicks offered per second in the paced round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(bench(args.members, args.groups, args.rate, Path(tmp)))


if __name__ == "__main__":
    main()
