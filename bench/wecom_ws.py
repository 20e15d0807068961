"""Card clicks through the WeCom long-connection adapter: the real websockets client, the whole bot,
SQLite on disk, the fake WeCom server of the tests on loopback.

    .venv/bin/python bench/wecom_ws.py [--members 500] [--groups 5]

Each group starts a one-question contest; every member clicks an answer on the question's card.
Prints clicks/s and the p50/p99 time from a click frame leaving the server to the card update
coming back, and checks every click got its update and every answer is stored."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from sqlalchemy import text  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.channels.wecom_ws import WeComRobotWS  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from fakes.wecom_ws_server import FakeWeComServer, pushed  # noqa: E402
from helpers import T0, write_bank  # noqa: E402

BANK = """\
name: 基准题库
questions:
  - type: single
    question: 党的最高领导机关是（）。
    options: [党的全国代表大会和它所产生的中央委员会, 中央政治局, 中央书记处, 中央军事委员会]
    answer: A
"""


async def bench(members: int, groups: int, workdir: Path) -> None:
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
        cards = []
        for g in range(groups):
            mark = len(server.received)
            await server.say(f"starter{g}", "@学习助手 开始竞赛 基准题库 1 600秒", chat=f"g{g}")
            frame = await server.wait_for(pushed("template_card"), after=mark, timeout=30)
            cards.append(frame["body"]["template_card"])
        sent: dict[str, float] = {}
        started = time.perf_counter()
        for m in range(members):
            for g, card in enumerate(cards):
                req_id = f"c{g}-{m}"
                sent[req_id] = time.perf_counter()
                await server.click(f"m{g}-{m}", card, chat=f"g{g}", req_id=req_id, key=card["button_list"][0]["key"])
        deadline = time.monotonic() + 120
        while len(server.frames("aibot_respond_update_msg")) < len(sent) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - started
        updated = {f["headers"]["req_id"]: at for f, at in zip(server.received, server.times)
                   if f.get("cmd") == "aibot_respond_update_msg"}
        missing = [req_id for req_id in sent if req_id not in updated]
        if missing:
            sys.exit(f"{len(missing)} clicks got no card update")
        latencies = [updated[req_id] - at for req_id, at in sent.items()]
        with app.db.session() as session:
            stored = session.exec(text("SELECT count(*) FROM contest_answer")).one()[0]
        await adapter.stop()
        app.close()
    total = members * groups
    latencies.sort()
    print(f"{total} clicks in {elapsed:.2f} s: {total / elapsed:.0f} clicks/s; "
          f"update latency p50 {statistics.median(latencies) * 1000:.1f} ms, "
          f"p99 {latencies[max(int(len(latencies) * 0.99) - 1, 0)] * 1000:.1f} ms")
    print(f"answers stored: {stored} of {total}")
    if stored != total:
        sys.exit("some answers were lost")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--groups", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(bench(args.members, args.groups, Path(tmp)))


if __name__ == "__main__":
    main()
