"""Fixtures shared by the app-level tests (test_bot, test_golden, test_cli). Helpers live in helpers.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.settings import CONFIG_ENV
from helpers import T0, RecordingChannel, make_app


@pytest.fixture
def clock() -> ManualClock:
    """Simulated time, starting Monday 2026-03-02 09:00 (Asia/Shanghai wall clock)."""
    return ManualClock(T0)


@pytest.fixture
def no_config_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No $STUDYBOT_CONFIG from the developer's shell leaks into a test."""
    monkeypatch.delenv(CONFIG_ENV, raising=False)


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


@pytest.fixture
def app(tmp_path, clock, channel) -> Iterator[App]:
    """A started app on tmp_path/t.db with the test bank; timer-driven messages go to `channel`."""
    built = make_app(tmp_path, clock)
    built.add_channel(channel)
    built.start()
    yield built
    built.close()
