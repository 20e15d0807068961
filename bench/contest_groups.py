"""The 全委竞赛 at scale: one contest over many branch groups at once, on a fake platform that allows 20 messages a
minute per group, on a virtual clock (issue 12's goal).

    .venv/bin/python bench/contest_groups.py [--groups 500] [--members 200] [--questions 5]

A roster of groups × members (one branch per group, plus a 管理员) is imported; the 管理员 starts the 全委竞赛 in
the first group; every member of every group answers every question once, at times spread over the question's
30 s; the deadlines fire as the clock passes them. The fake platform records each message a group would see, at
the virtual moment it was handed over, and counts a message that finds the group's last minute full (20) as a
violation. "Deadline to reveal" is the wall time from the start of the deadline's firing to the moment each group's
reveal is handed to the platform (the round closes the question everywhere, then writes the points in parts).

Goals: every group receives each question within 2 s of the same moment; 0 rate-limit violations; at most 3 bot
messages per group per question; p99 deadline to reveal ≤ 2 s; every answer stored; the standings in every group."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict, deque
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402,F401  (puts the project and tests/ on sys.path)
from helpers import RecordingChannel  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bot.app import App, build_app  # noqa: E402
from bot.clock import ManualClock  # noqa: E402
from bot.messages import Chat, Incoming, Outgoing, Sender  # noqa: E402
from bot.services.roster import import_roster  # noqa: E402
from bot.services.roster_file import RosterRow  # noqa: E402
from bot.settings import load_settings  # noqa: E402
from bot.storage.branches import get_or_create_group  # noqa: E402

CHANNEL = "fake"
PER_MINUTE = 20
BANK = "name: 全委题库\nquestions:\n" + "".join(
    f"  - type: single\n    question: 第 {i} 道基准题（）。\n    options: [甲, 乙, 丙, 丁]\n    answer: A\n"
    for i in range(1, 11))


class FakePlatform(RecordingChannel):
    """A channel that records what each group receives and checks the platform's 20 a minute per group."""

    name = CHANNEL

    def __init__(self, clock: ManualClock) -> None:
        super().__init__()
        self._clock = clock
        self.received: dict[str, list[tuple[datetime, float, Outgoing]]] = defaultdict(list)  # group -> (virtual, wall)
        self.private = 0
        self.violations = 0
        self._windows: dict[str, deque[datetime]] = defaultdict(deque)
        self.fire_started: float | None = None  # wall time a firing of due timers began (a deadline)
        self.reveal_delays: list[float] = []  # per group and question: that firing's start to the reveal handed over

    def send(self, message: Outgoing) -> None:
        if message.private_to:  # a note for one member: on their card, not in the group
            self.private += 1
            return
        now, window = self._clock.now(), self._windows[message.chat.chat_id]
        while window and window[0] <= now - timedelta(minutes=1):
            window.popleft()
        if len(window) >= PER_MINUTE:
            self.violations += 1
        window.append(now)
        wall = time.perf_counter()
        self.received[message.chat.chat_id].append((now, wall, message))
        if message.closes and self.fire_started is not None:
            self.reveal_delays.append(wall - self.fire_started)


def kind(message: Outgoing) -> str:
    if message.text.startswith("🏁"):
        return "standings"
    if message.closes:
        return "step"
    if message.key:
        return "question"
    return "other"


def build(tmp: Path, clock: ManualClock, groups: int, members: int) -> tuple[App, FakePlatform]:
    (tmp / "banks").mkdir()
    (tmp / "banks" / "bank.yaml").write_text(BANK, encoding="utf-8")
    settings = load_settings(Path("/dev/null"), {
        "database": {"url": f"sqlite:///{tmp}/bench.db"},
        "quizzes": {"bank_dirs": [str(tmp / "banks")], "sample_bank": False, "time_limit": 30}})
    app = build_app(settings, clock=clock, seed=1)
    platform = FakePlatform(clock)
    app.add_channel(platform)
    app.start()
    rows = [RosterRow(2, "党委管理员", "支部0000", "admin", {CHANNEL: "admin"})]
    rows += [RosterRow(3 + g * members + m, f"党员{g:04d}-{m:03d}", f"支部{g:04d}", "member",
                       {CHANNEL: f"u{g}-{m}"}) for g in range(groups) for m in range(members)]
    import_roster(app.db, rows=rows, now=clock.now(), label="roster.csv", sleep=lambda _: None)
    with app.db.session() as session:
        for g in range(groups):
            get_or_create_group(session=session, channel=CHANNEL, external_id=f"g{g}", name=f"支部{g:04d}",
                                branch_name=f"支部{g:04d}")
        session.commit()
    return app, platform


class Advance:
    """Fire what falls due up to a moment, each at its own time, keeping the wall time of each firing. The next
    due time is looked up again only after a firing (looking it up costs two queries; answers come 100,000 a
    question)."""

    def __init__(self, app: App, clock: ManualClock, platform: FakePlatform) -> None:
        self._app, self._clock, self._platform = app, clock, platform
        self._due = app.next_due()
        self.firings: list[float] = []

    def __call__(self, target: datetime) -> None:
        while self._due is not None and self._due <= target:
            self._clock.set(max(self._due, self._clock.now()))
            started = self._platform.fire_started = time.perf_counter()
            self._app.fire_due_timers()
            self.firings.append(time.perf_counter() - started)
            self._platform.fire_started = None
            self._due = self._app.next_due()
        self._clock.set(max(target, self._clock.now()))



def message(g: int, m: int, body: str, now: datetime) -> Incoming:
    return Incoming(Chat(CHANNEL, f"g{g}", True, f"支部{g:04d}"), Sender(f"u{g}-{m}", f"党员{g:04d}-{m:03d}"), body,
                    uuid.uuid4().hex, now)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--questions", type=int, default=5)
    args = parser.parse_args(argv)
    groups, members, questions = args.groups, args.members, args.questions
    clock = ManualClock(datetime(2026, 3, 2, 9, 0))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        app, platform = build(Path(tmp), clock, groups, members)
        setup = time.perf_counter() - started
        print(f"{groups} groups x {members} members ({groups * members:,}), {questions} questions of 30 s; "
              f"roster and groups set up in {setup:.1f} s")
        try:
            return play(app, platform, clock, groups, members, questions)
        finally:
            app.close()


def play(app: App, platform: FakePlatform, clock: ManualClock, groups: int, members: int, questions: int) -> int:
    t0 = time.perf_counter()
    told = app.handle(Incoming(Chat(CHANNEL, "g0", True, "支部0000"), Sender("admin", "党委管理员"),
                               f"开始全委竞赛 全委题库 {questions}", "start", clock.now()))
    start_wall = time.perf_counter() - t0
    for reply in told:
        platform.send(reply)
    print(f"start: {told[0].text} ({start_wall:.2f} s wall)")
    sent = answered = 0
    answer_wall = 0.0
    advance = Advance(app, clock, platform)
    opened = clock.now()
    for q in range(questions):
        # every member answers once, spread over seconds 1..28 of the question (most right)
        order = sorted((1 + (g * 7 + m * 13) % 28, g, m) for g in range(groups) for m in range(members))
        for second, g, m in order:
            at = opened + timedelta(seconds=second, milliseconds=(g + m) % 1000)
            advance(at)
            body = "A" if (g + m + q) % 5 else "B"
            t1 = time.perf_counter()
            app.handle(message(g, m, body, clock.now()))
            answer_wall += time.perf_counter() - t1
            sent += 1
        opened = opened + timedelta(seconds=30)
        advance(opened)  # the deadline: the round closes the question everywhere
    advance(opened + timedelta(minutes=1))
    with app.db.session() as session:
        answered = session.execute(text("SELECT count(*) FROM contest_answer")).scalar_one()
    return report(platform, groups, questions, sent, answered, answer_wall, advance.firings)


def report(platform: FakePlatform, groups: int, questions: int, sent: int, answered: int, answer_wall: float,
           firings: list[float]) -> int:
    problems: list[str] = []
    # each question reaches every group at one virtual moment: the question (first) and the steps (later ones)
    asked = defaultdict(list)
    for got in platform.received.values():
        shown = [(v, m) for v, _, m in got if kind(m) in ("question", "step")]
        for number, (virtual, _) in enumerate(shown[:questions]):
            asked[number].append(virtual)
    spread = max(((max(v) - min(v)).total_seconds() for v in asked.values()), default=0.0)
    standings = sum(1 for got in platform.received.values() if any(kind(m) == "standings" for _, _, m in got))
    busiest = max((len([m for _, _, m in got if kind(m) != "standings"]) for got in platform.received.values()),
                  default=0)
    per_question = busiest / questions
    delays = sorted(platform.reveal_delays)
    p99 = delays[int(0.99 * (len(delays) - 1))] if delays else 0.0
    print(f"answers: sent {sent:,}, stored {answered:,}, lost {sent - answered:,}; "
          f"{sent / answer_wall:,.0f} answers/s through the dispatcher ({answer_wall:.1f} s)")
    print(f"each question reached all {len(platform.received)} groups within {spread:.1f} s of virtual time")
    print(f"bot messages per group: at most {busiest} for {questions} questions ({per_question:.1f} per question, "
          f"the intro included; the standings not); private notes {platform.private:,}")
    print(f"rate-limit violations (more than {PER_MINUTE} in a group's minute): {platform.violations}")
    p50, worst = statistics.median(delays) if delays else 0.0, max(delays, default=0.0)
    print(f"deadline to reveal handed to a group (wall time, {len(delays):,} reveals): "
          f"p50 {p50:.2f} s, p99 {p99:.2f} s, max {worst:.2f} s; longest firing of due timers "
          f"{max(firings, default=0.0):.2f} s (the points follow the reveals in parts)")
    print(f"final standings reached {standings} of {groups} groups")
    if spread > 2:
        problems.append(f"questions spread over {spread:.1f} s")
    if platform.violations:
        problems.append(f"{platform.violations} rate-limit violations")
    if per_question > 3:
        problems.append(f"{per_question:.1f} messages per group per question")
    if p99 > 2:
        problems.append(f"p99 deadline to reveal {p99:.2f} s")
    if answered != sent:
        problems.append(f"{sent - answered} answers not stored")
    if standings != groups:
        problems.append(f"standings reached {standings} of {groups} groups")
    print("goal met" if not problems else "goal MISSED: " + "; ".join(problems))
    return 0 if not problems else 1


if __name__ == "__main__":
    raise SystemExit(main())
