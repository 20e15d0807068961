"""Imports beside the running bot: answers of a contest keep flowing while `studybot bank import` and
`studybot members import` write 100,000 rows into the same SQLite file from another process.

    .venv/bin/python bench/import_beside_contest.py [--rows 100000] [--members 60]

The bot runs in this process (the real dispatcher, the app's clock, SQLite on disk); 60 members answer
question after question (each question closes when the whole branch has answered, the next opens). Three
phases: no import, a bank import of `--rows` questions, a roster import of `--rows` members. For each it
prints the answers sent, stored and lost (answered with an apology), and the time each answer took through the
dispatcher (p50, p99, max). Goal: 0 answers lost, p99 under 1 s."""

from __future__ import annotations

import argparse
import csv
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common  # noqa: F401  (the project and tests/ on sys.path)
from helpers import RecordingChannel
from sqlalchemy import text

from bot.app import App, build_app
from bot.dispatcher import APOLOGY
from bot.messages import Chat, Incoming, Sender
from bot.settings import load_settings

GROUP = "竞赛群"
GOAL_P99_MS = 1000.0


def write_files(folder: Path, rows: int) -> tuple[Path, Path]:
    bank, roster = folder / "题库.csv", folder / "名册.csv"
    with bank.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["题型", "题干", "答案"])
        writer.writerows(["判断", f"第 {i} 题：党员有退党的自由。", "对"] for i in range(rows))
    with roster.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["姓名", "支部", "企业微信账号"])
        writer.writerows([f"党员{i}", f"第{i % 50}党支部", f"member{i}"] for i in range(rows))
    return bank, roster


class Contest:
    """Members of one branch answering in one group, question after question, through the dispatcher."""

    def __init__(self, app: App, members: int) -> None:
        self.app, self.members = app, [f"m{i}" for i in range(members)]
        self.sent = self.lost = 0
        self.times: list[float] = []
        self.sequence = 0
        for name in self.members:
            self.say(name, "大家好")
        self.say(self.members[0], "开始竞赛 基准题库 20 600秒")

    def say(self, name: str, words: str) -> list[str]:
        self.sequence += 1
        incoming = Incoming(Chat("local", GROUP, True, GROUP), Sender(name, name), words, f"b{self.sequence}",
                            self.app.clock.now())
        began = time.perf_counter()
        replies = [reply.text for reply in self.app.handle(incoming)]
        self.times.append(time.perf_counter() - began)
        return replies

    def one_question(self) -> None:
        """Every member answers the open question (the last answer closes it); a new contest when one ends."""
        question = self.app.contests.open_question(1)
        if question is None:
            self.say(self.members[0], "开始竞赛 基准题库 20 600秒")
            question = self.app.contests.open_question(1)
            assert question is not None
        for name in self.members:
            self.sent += 1
            if APOLOGY in self.say(name, question.answer):
                self.lost += 1


def stored_answers(app: App) -> int:
    with app.db.session() as session:
        return session.execute(text("SELECT COUNT(*) FROM contest_answer")).scalar_one()


def phase(contest: Contest, command: list[str] | None, folder: Path, seconds: float) -> str:
    sent, lost, before = contest.sent, contest.lost, stored_answers(contest.app)
    contest.times.clear()
    began = time.perf_counter()
    child = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True) if command else None
    while (child is not None and child.poll() is None) or (child is None and time.perf_counter() - began < seconds):
        contest.one_question()
    took = time.perf_counter() - began
    output = child.stdout.read().strip().splitlines()[-1] if child is not None and child.stdout else ""
    stored = stored_answers(contest.app) - before
    ordered = sorted(contest.times)
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000
    verdict = "met" if contest.lost == lost and p99 < GOAL_P99_MS else "NOT met"
    said = f"\n    the import said: {output}" if output else ""
    return (f"{took:6.1f} s; answers sent {contest.sent - sent:,}, stored {stored:,}, lost {contest.lost - lost}; "
            f"per answer p50 {statistics.median(ordered) * 1000:.1f} ms, p99 {p99:.1f} ms, "
            f"max {ordered[-1] * 1000:.0f} ms  goal (0 lost, p99 < 1 s): {verdict}{said}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=60)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    studybot = str(Path(sys.executable).with_name("studybot"))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        bank, roster = write_files(folder, args.rows)
        (folder / "banks").mkdir()
        (folder / "banks" / "bench.yaml").write_text(common.BANK, encoding="utf-8")
        config = folder / "studybot.yaml"
        config.write_text(f"database:\n  url: sqlite:///{folder}/bot.db\nquizzes:\n  bank_dirs: [{folder}/banks]\n"
                          "  max_questions: 20\n", encoding="utf-8")
        app = build_app(load_settings(config), seed=1)
        app.add_channel(RecordingChannel())
        app.start()
        try:
            contest = Contest(app, args.members)
            print(f"a contest of {args.members} members beside imports of {args.rows:,} rows (SQLite):")
            print("  no import:      " + phase(contest, None, folder, 5.0))
            print("  bank import:    " + phase(contest, [studybot, "bank", "import", str(bank), "-c", str(config)],
                                              folder, 0))
            print("  members import: " + phase(contest, [studybot, "members", "import", str(roster), "-c",
                                                         str(config)], folder, 0))
        finally:
            app.close()


if __name__ == "__main__":
    main()
