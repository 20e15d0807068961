"""A bot process killed (SIGKILL) in the middle of a contest: every answer it had acknowledged is stored
once, nothing is stored twice, and after a restart the question closes and awards each answer once, while
re-deliveries of messages it had acknowledged are ignored."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import RecordingChannel, settings_for, write_bank
from sqlalchemy import create_engine, text

from bot.app import build_app
from bot.clock import ManualClock, SystemClock
from bot.messages import Chat, Incoming, Sender

ROOT = Path(__file__).resolve().parents[1]
GROUP = "第一党支部"
CHOICES = """\
name: 单选题库
questions:
  - {type: single, question: 党的最高领导机关是（）。, options: [党的全国代表大会, 中央政治局], answer: A}
  - {type: single, question: 预备党员的预备期为（）。, options: [一年, 半年], answer: A}
"""
MEMBERS = [f"党员{i}" for i in range(30)]

# The bot as its own process: the real dispatcher on the SQLite file; it says "ok <id>" once a message has
# been handled (its transaction committed), as a platform callback would get its 200.
BOT = textwrap.dedent("""
    import sys
    from pathlib import Path
    from bot.app import build_app
    from bot.messages import Chat, Incoming, Sender
    from bot.settings import load_settings

    app = build_app(load_settings(Path(sys.argv[1])), seed=1)
    app.start()
    chat = Chat("local", "第一党支部", True, "第一党支部")

    def handle(name, words, message_id):
        app.handle(Incoming(chat, Sender(name, name), words, message_id, app.clock.now()))

    for line in sys.stdin:
        name, words, message_id = line.rstrip("\\n").split("\\t")
        handle(name, words, message_id)
        print("ok", message_id, flush=True)
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")
def test_a_bot_killed_mid_contest_loses_and_doubles_no_answer(tmp_path: Path) -> None:
    write_bank(tmp_path / "choices", CHOICES, "choices.yaml")
    settings = settings_for(tmp_path, quizzes={"sample_bank": False, "bank_dirs": [str(tmp_path / "choices")],
                                               "default_bank": "单选题库",
                                               "scored_by": ["member"]})  # every contest scored: points to check
    config = tmp_path / "studybot.yaml"
    config.write_text(settings.model_dump_json(), encoding="utf-8")  # JSON is YAML
    script = tmp_path / "running_bot.py"  # not bot.py: it would hide the package
    script.write_text(BOT, encoding="utf-8")
    # PYTHONPATH: the bot process runs the code under test, not whatever checkout the environment installed
    bot = subprocess.Popen([sys.executable, str(script), str(config)], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True,
                           env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)})
    assert bot.stdin is not None and bot.stdout is not None

    def send(name: str, words: str, message_id: str) -> None:
        bot.stdin.write(f"{name}\t{words}\t{message_id}\n")
        bot.stdin.flush()

    try:
        for name in MEMBERS:  # on the branch's roster, so the question waits for all of them
            send(name, "大家好", f"hello-{name}")
        send(MEMBERS[0], "开始竞赛 单选题库 2 600秒", "start")
        acknowledged = {bot.stdout.readline().split()[1] for _ in range(len(MEMBERS) + 1)}
        for name in MEMBERS[:20]:
            send(name, "A", f"answer-{name}")
        for _ in range(10):  # ten answers acknowledged, ten more on their way when the process dies
            acknowledged.add(bot.stdout.readline().split()[1])
        bot.send_signal(signal.SIGKILL)
        bot.wait(timeout=30)
    finally:
        if bot.poll() is None:
            bot.kill()
    engine = create_engine(settings.database.url)
    with engine.connect() as conn:
        stored = [row[0] for row in conn.execute(text(
            "SELECT m.name FROM contest_answer a JOIN member m ON m.id = a.member_id ORDER BY a.id"))]
    engine.dispose()
    answered = {message_id.removeprefix("answer-") for message_id in acknowledged if message_id.startswith("answer-")}
    assert len(answered) == 10
    assert answered <= set(stored)  # nothing acknowledged is lost
    assert len(stored) == len(set(stored))  # nothing stored twice

    # the bot's (Shanghai) time: past the deadline (10 minutes after the start), not so long that the contest
    # counts as left behind (STALE_AFTER more), when it would end instead
    clock = ManualClock(SystemClock().now() + timedelta(minutes=15))
    app = build_app(settings, clock=clock, seed=1)
    channel = RecordingChannel()
    app.add_channel(channel)
    app.start()  # the question missed its deadline while the bot was down: it closes now
    try:
        chat = Chat("local", GROUP, True, GROUP)
        for name in sorted(answered):  # acknowledged answers delivered again (a late ack, a retry): ignored
            assert app.handle(Incoming(chat, Sender(name, name), "A", f"answer-{name}", clock.now())) == []
        with app.db.session() as session:
            answers = session.execute(text("SELECT COUNT(*) FROM contest_answer")).scalar_one()
            awards = session.execute(text("SELECT source FROM points_ledger WHERE reason = 'contest'")).all()
        assert answers == len(stored)
        assert sorted(source for (source,) in awards) == sorted(set(source for (source,) in awards))
        assert len(awards) == len(stored)  # every stored answer to question 1 (all right) awarded, once
        assert any(message.text.startswith("⏰ 第 1 题答案") for message in channel.sent)
    finally:
        app.close()
