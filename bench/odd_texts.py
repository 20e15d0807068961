"""How long odd messages take through the real dispatcher (SQLite on disk): an empty text, emoji, a 100 KB
paste, idle and during a contest, and a 50,000-character reply to a 填空 question. The goal is well under
50 ms each: a paste must cost no more than a line (the dispatcher reads 2,000 characters of it).

    .venv/bin/python bench/odd_texts.py [--repeat 20]

Prints the median and worst time of each kind, in milliseconds."""

from __future__ import annotations

import argparse
import contextlib
import logging
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import common  # noqa: F401  (the project and tests/ on sys.path)
from helpers import T0, TEST_BANK_NAME, RecordingChannel, group_msg, make_app

from bot.app import App
from bot.clock import ManualClock

ODD_TEXTS = {"empty": "", "emoji": "👍🎉🇨🇳", "100KB": "党" * 34_000 + "x" * 2_000}
GOAL_MS = 50.0


def timed(app: App, name: str, words: str) -> float:
    began = time.perf_counter()
    app.handle(group_msg(name, words, at=app.clock.now()))
    return (time.perf_counter() - began) * 1000


@contextlib.contextmanager
def bot_in_contest(questions: int) -> Iterator[tuple[App, ManualClock]]:
    """A bot on a scratch database; with `questions`, a contest of that many under way in its one group."""
    with tempfile.TemporaryDirectory() as scratch:
        clock = ManualClock(T0)
        app = make_app(Path(scratch), clock)
        app.add_channel(RecordingChannel())
        app.start()
        try:
            if questions:
                for name in ("张三", "李四"):
                    app.handle(group_msg(name, "大家好", at=clock.now()))
                app.handle(group_msg("张三", f"开始竞赛 {TEST_BANK_NAME} {questions}", at=clock.now()))
            yield app, clock
        finally:
            app.close()


def odd_texts(repeat: int, during_contest: bool) -> dict[str, list[float]]:
    with bot_in_contest(3 if during_contest else 0) as (app, clock):
        app.handle(group_msg("王五", "大家好", at=clock.now()))  # registered, statements compiled
        return {kind: [timed(app, "王五", words) for _ in range(repeat)] for kind, words in ODD_TEXTS.items()}


def long_blank_reply(repeat: int) -> list[float]:
    """A 50,000-character reply while a 填空 question is open: chatter, not an answer."""
    with bot_in_contest(8) as (app, clock):
        while app.contests.open_question(1).type.value != "blank":  # the bench's one group
            clock.set(clock.now() + timedelta(seconds=10))
            app.fire_due_timers()
        return [timed(app, "张三", "答" * 50_000) for _ in range(repeat)]


def line(label: str, times: list[float]) -> str:
    worst = max(times)
    verdict = "ok" if worst < GOAL_MS else f"OVER the {GOAL_MS:.0f} ms goal"
    return f"  {label:<28} median {statistics.median(times):6.2f} ms, worst {worst:6.2f} ms  {verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the calendar's note about next year's holidays, on every app
    print(f"odd messages through the dispatcher, {args.repeat} of each:")
    for during_contest in (False, True):
        where = "during a contest" if during_contest else "idle"
        for kind, times in odd_texts(args.repeat, during_contest).items():
            print(line(f"{kind}, {where}", times))
    print(line("50,000 characters to a 填空", long_blank_reply(args.repeat)))


if __name__ == "__main__":
    main()
