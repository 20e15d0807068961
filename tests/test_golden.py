"""Golden conversations: each tests/golden/NAME.chat, played in-process on a simulated clock
against a fresh database and the bank in tests/golden/banks/, must print exactly NAME.out.

    UPDATE_GOLDEN=1 pytest tests/test_golden.py     rewrites the .out files

A rewritten transcript is only right if a Party member reading it would agree: read every
changed line (answers revealed, people credited, points by the scoring rules) before committing.
Scripts listed in KNOWN_BUGS keep a hand-corrected .out and are never rewritten."""

from __future__ import annotations

import io
import os
import re
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from bot.app import build_app
from bot.channels.registry import parse_script, play_script
from bot.clock import ManualClock
from bot.services.roster import import_roster
from bot.services.roster_file import read_roster
from bot.settings import load_settings
from bot.storage.models import Member

GOLDEN = Path(__file__).parent / "golden"
SCRIPTS = sorted(GOLDEN.glob("*.chat"))
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

# script stem -> reason; their .out holds what the bot *should* print
KNOWN_BUGS: dict[str, str] = {}


def header(text: str, key: str) -> str:
    match = re.search(rf"^#\s*{key}\s*:\s*(.+?)\s*$", text, re.MULTILINE)
    if match is None:
        raise AssertionError(f"missing '# {key}: …' header")
    return match[1]


def optional_header(text: str, key: str) -> str | None:
    match = re.search(rf"^#\s*{key}\s*:\s*(.+?)\s*$", text, re.MULTILINE)
    return match[1] if match else None


def play(script: Path, database_url: str) -> str:
    """`# config: FILE` (YAML in tests/golden, merged over the defaults below; `plans` relative to
    tests/golden) and `# roster: FILE` (a roster CSV imported before the first line) are optional."""
    text = script.read_text(encoding="utf-8")
    start = datetime.strptime(header(text, "start"), "%Y-%m-%d %H:%M")
    seed = int(header(text, "seed"))
    overrides = {
        "database": {"url": database_url},
        # only the golden bank: transcripts must not change when the bundled sample bank does
        "quizzes": {"bank_dirs": [str(GOLDEN / "banks")], "default_bank": "测试题库", "sample_bank": False},
    }
    if config := optional_header(text, "config"):
        extra = yaml.safe_load((GOLDEN / config).read_text(encoding="utf-8"))
        if "content" in extra and "plans" in extra["content"]:
            extra["content"]["plans"] = [str(GOLDEN / p) for p in extra["content"]["plans"]]
        overrides.update(extra)
    settings = load_settings(Path("/dev/null"), overrides)
    roster = optional_header(text, "roster")

    def make(clock: ManualClock):
        app = build_app(settings, clock=clock, seed=seed)
        if roster:
            app.db.create_schema()
            with app.db.session() as session:
                first = session.exec(select(Member)).first() is None  # once, not again after !restart
            if first:
                import_roster(app.db, rows=read_roster(GOLDEN / roster), now=clock.now(), label=roster)
        return app

    out = io.StringIO()
    play_script(parse_script(text), make, ManualClock(start), out)
    return out.getvalue()


def _param(script: Path):
    reason = KNOWN_BUGS.get(script.stem)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(script, id=script.stem, marks=marks)


def test_there_are_golden_conversations():
    assert len(SCRIPTS) >= 7


@pytest.mark.parametrize("script", [_param(s) for s in SCRIPTS])
def test_golden_conversation(script: Path, database_url: str):
    transcript = play(script, database_url)
    expected_file = script.with_suffix(".out")
    if UPDATE and script.stem not in KNOWN_BUGS:
        expected_file.write_text(transcript, encoding="utf-8")
    assert expected_file.exists(), f"{expected_file.name} missing: run with UPDATE_GOLDEN=1 and review it"
    expected = expected_file.read_text(encoding="utf-8")
    assert transcript.splitlines() == expected.splitlines()  # line lists: pytest shows a readable diff
    assert transcript == expected
