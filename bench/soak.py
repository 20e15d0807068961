"""Soak: forged, stale, garbled and replayed callbacks at the three HTTP endpoints, genuine callbacks among
them, and a contest of 60 members in a group, all on one bot, for a few minutes; then the counts.

    .venv/bin/python bench/soak.py [--minutes 3] [--seed 1]

The endpoints are served as `studybot run` serves them (the Official Account in 安全模式, the WeCom self-built
app, the WeCom callback robot), in-process over ASGI, the requests built with wechatpy's own crypto
(tests/callback_wire.py). What must hold: no 5xx and no traceback for any crafted request, no member or row
made by one, every genuine callback answered, every contest answer stored, memory flat (the caches are
capped)."""

from __future__ import annotations

import argparse
import logging
import random
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path

import common  # noqa: F401  (the project and tests/ on sys.path)
from callback_wire import AppWire, Call, Endpoint, MPWire, RobotWire, served
from helpers import T0, RecordingChannel
from sqlalchemy import text
from test_callback_fuzz import Attack, _kinds, _signed_by

from bot.app import App
from bot.clock import ManualClock
from bot.dispatcher import APOLOGY
from bot.messages import Chat, Incoming, Sender

GROUP, MEMBERS = "竞赛群", 60
_ODD_STAMPS = ["9" * 309, "9" * 4301, "1" * 5000, "0" * 30 + "1", "-1", "+1700000000", " 1700000000",
               "1_700_000_000", "1e9", "１７００００００００", "²", "NaN", "inf", ""]


class Crafted:
    """Random requests of every kind the endpoint's fuzz test draws (tests/test_callback_fuzz.py), from a
    seeded generator: the same seed, the same requests."""

    def __init__(self, endpoint: Endpoint, rng: random.Random) -> None:
        self.endpoint, self.rng, self.attack = endpoint, rng, Attack(endpoint)
        self.kinds = _kinds(endpoint.name)

    def text(self) -> str:
        return "".join(chr(self.rng.choice([self.rng.randint(32, 126), self.rng.randint(0x4E00, 0x9FA5),
                                            self.rng.randint(0, 31)])) for _ in range(self.rng.randint(0, 40)))

    def value(self, kind: str) -> object:
        rng = self.rng
        if kind in ("signature", "url forged"):
            return "".join(rng.choice("0123456789abcdef") for _ in range(40)) if rng.random() < 0.5 else self.text()
        if kind in ("timestamp", "url stale"):
            if rng.random() < 0.5:
                return "off", rng.choice([1, -1]) * rng.randint(310, 10**12)
            return "raw", rng.choice(_ODD_STAMPS + [self.text()])
        if kind == "missing":
            return rng.choice([_signed_by(self.endpoint.name), "timestamp", "nonce"])
        if kind in ("body", "replay"):
            return rng.choice([
                rng.randbytes(rng.randint(0, 2000)), b"[" * rng.randint(1, 80_000), self.text().encode(),
                b'{"encrypt": ' + b"[" * rng.randint(1, 5000), f'{{"encrypt": "{self.text()}"}}'.encode(),
                f"<xml><Encrypt><![CDATA[{self.text()}]]></Encrypt></xml>".encode(), b"x" * 70_000])
        return None

    def next(self) -> tuple[str, Call]:
        kind = self.rng.choice(self.kinds)
        return kind, self.attack.build(kind, self.value(kind))


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.tracebacks = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.tracebacks += record.exc_info is not None


def count(app: App, sql: str) -> int:
    with app.db.session() as session:
        return session.execute(text(sql)).scalar_one()


def contest_round(app: App, state: dict[str, int]) -> None:
    """Every member answers the open question; a new contest when one has ended."""
    chat = Chat("local", GROUP, True, GROUP)

    def say(name: str, words: str) -> list[str]:
        state["seq"] += 1
        return [r.text for r in app.handle(Incoming(chat, Sender(name, name), words, f"c{state['seq']}",
                                                    app.clock.now()))]

    group = count(app, f"SELECT id FROM chat_group WHERE external_id = '{GROUP}'")
    question = app.contests.open_question(group)
    if question is None:
        say("m0", "开始竞赛 测试题库 8 600秒")
        question = app.contests.open_question(group)
        assert question is not None
    for member in range(MEMBERS):
        state["sent"] += 1
        state["lost"] += APOLOGY in say(f"m{member}", question.answer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    logging.disable(logging.NOTSET)
    bot_log, lines = logging.getLogger("bot"), Lines()
    bot_log.addHandler(lines)
    bot_log.setLevel(logging.INFO)
    bot_log.propagate = False  # the refusals' one line each, counted here rather than printed
    with tempfile.TemporaryDirectory() as scratch:
        clock = ManualClock(T0)
        service = served(Path(scratch), clock)
        app = service.app
        app.add_channel(RecordingChannel())
        wires = {"mp_safe": MPWire(safe=True), "app": AppWire(service.wall), "robot": RobotWire()}
        endpoints = [Endpoint(name, service, wire) for name, wire in wires.items()]
        crafted = [Crafted(endpoint, rng) for endpoint in endpoints]
        for fuzz in crafted:  # what the crafted replays copy: a genuine callback and URL check each, answered
            assert service.send(fuzz.attack.captured).status_code == 200
            assert service.send(fuzz.attack.captured_url).status_code == 200
        state = {"seq": 0, "sent": 0, "lost": 0}
        for member in range(MEMBERS):  # the branch's roster: a question closes once all of them answered
            app.handle(Incoming(Chat("local", GROUP, True, GROUP), Sender(f"m{member}", f"m{member}"), "大家好",
                                f"hello-{member}", clock.now()))
        contest_round(app, state)
        members, rss_start = count(app, "SELECT COUNT(*) FROM member"), _rss()
        statuses: Counter[tuple[str, int]] = Counter()
        genuine = genuine_ok = 0
        began = time.perf_counter()
        while time.perf_counter() - began < args.minutes * 60:
            for fuzz in crafted:
                for _ in range(50):
                    kind, call = fuzz.next()
                    statuses[(fuzz.endpoint.name, service.send(call).status_code // 100)] += 1
                genuine += 1  # a member's real message through the same endpoint, among the forgeries
                call = fuzz.endpoint.wire.message("我的积分", rng.randrange(10**15), user="victim")
                genuine_ok += service.send(call).status_code == 200
            contest_round(app, state)
        took = time.perf_counter() - began
        made = count(app, "SELECT COUNT(*) FROM member") - members
        stored = count(app, "SELECT COUNT(*) FROM contest_answer")
        service.close()
        app.close()
    crafted_total = sum(statuses.values())
    print(f"soak for {took / 60:.1f} minutes, seed {args.seed}:")
    for name in wires:
        by_class = {c: statuses[(name, c)] for c in (2, 4, 5)}
        print(f"  {name:8} crafted {sum(by_class.values()):7,}: 2xx {by_class[2]}, 4xx {by_class[4]:,}, "
              f"5xx {by_class[5]}")
    print(f"  crafted requests {crafted_total:,} ({crafted_total / took:,.0f}/s); tracebacks logged "
          f"{lines.tracebacks}; members made by them {made}")
    print(f"  genuine callbacks {genuine:,}, answered {genuine_ok:,}")
    print(f"  contest answers sent {state['sent']:,}, stored {stored:,}, lost {state['lost']}")
    print(f"  peak RSS {rss_start / 1024:.0f} MB after warm-up, {_rss() / 1024:.0f} MB at the end")
    bad = sum(statuses[(n, c)] for n in wires for c in (2, 5)) + lines.tracebacks + made + state["lost"]
    print("  all held" if bad == 0 and genuine_ok == genuine else "  SOMETHING FAILED: see the counts above")


def _rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux


if __name__ == "__main__":
    main()
