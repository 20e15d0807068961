"""Fixtures shared by the app-level tests (test_bot, test_golden, test_cli). Helpers live in helpers.py."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import T0, RecordingChannel, create_database, make_app
from hypothesis import settings as hypothesis_settings
from pg_databases import database_url as pg_url
from pg_databases import postgres_database

from bot.app import App
from bot.clock import ManualClock
from bot.settings import CONFIG_ENV
from bot.storage.db import Database


@pytest.fixture
def clock() -> ManualClock:
    """Simulated time, starting Monday 2026-03-02 09:00 (Asia/Shanghai wall clock)."""
    return ManualClock(T0)


@pytest.fixture
def no_config_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No $STUDYBOT_CONFIG from the developer's shell leaks into a test."""
    monkeypatch.delenv(CONFIG_ENV, raising=False)


@pytest.fixture(autouse=True)
def _cli_log_undone() -> Iterator[None]:
    """A command run in a test sets up the log (bot/cli/logs.py) on the root logger: undone after the test, so
    the next test's log goes nowhere it did not ask for, at the level it had."""
    root = logging.getLogger()
    level = root.level
    yield
    for handler in [h for h in root.handlers if type(h).__module__ == "bot.cli.logs"]:
        root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def channel() -> RecordingChannel:
    return RecordingChannel()


# CI runs the property tests on a fixed seed, so a submission never fails on a case drawn by chance;
# developers' runs keep exploring new cases (and hypothesis keeps the ones that failed).
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, database=None)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")


# A PostgreSQL server to run the app-level tests against as well, e.g.
#   STUDYBOT_TEST_POSTGRES=postgresql+psycopg://postgres@127.0.0.1:5432/postgres scripts/test
# Each test gets a database of its own, dropped afterwards. Unset: SQLite only.
POSTGRES = os.environ.get("STUDYBOT_TEST_POSTGRES")


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A database with studybot's schema, made once per test process: each test's database is a copy of it
    (CREATE DATABASE … TEMPLATE), which takes a tenth of the second that making the schema took in every test."""
    assert POSTGRES
    with postgres_database(POSTGRES, "studybot_template") as name:
        template = Database(pg_url(POSTGRES, name))
        template.create_schema()
        template.dispose()  # a template takes no copies while anyone is connected to it
        yield name


@pytest.fixture(params=["sqlite", "postgresql"] if POSTGRES else ["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/t.db"
        return
    assert POSTGRES
    with postgres_database(POSTGRES, template=request.getfixturevalue("postgres_template")) as name:
        yield pg_url(POSTGRES, name)


# scripts/test's second run: only the tests that take `database_url`, on PostgreSQL (their SQLite runs were in the
# first), so the database-facing part of the suite is run again without naming its files by hand
ONLY_POSTGRES = os.environ.get("STUDYBOT_TEST_ONLY_POSTGRES") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not ONLY_POSTGRES:
        return
    # the database-facing tests: those run on each database (a "postgresql" parameter: database_url, the migration
    # tests' url) and those only PostgreSQL can run (postgres_url: several instances, leases, the inbox)
    keep = [item for item in items
            if "postgresql" in getattr(getattr(item, "callspec", None), "params", {}).values()
            or "postgres_url" in getattr(item, "fixturenames", ())]
    chosen = set(keep)
    config.hook.pytest_deselected(items=[item for item in items if item not in chosen])
    items[:] = keep


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of the test's own (several instances need it); skipped, and said, without a server."""
    if not POSTGRES:
        pytest.skip("未设置 STUDYBOT_TEST_POSTGRES：多实例（PostgreSQL）测试未运行")
    with postgres_database(POSTGRES) as name:
        yield pg_url(POSTGRES, name)


@pytest.fixture
def app(tmp_path, clock, channel, database_url) -> Iterator[App]:
    """A started app on `database_url` with the test bank; timer-driven messages go to `channel`."""
    built = make_app(tmp_path, clock, database={"url": database_url})
    built.add_channel(channel)
    built.start()
    yield built
    built.close()


@pytest.fixture
def cli_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_config_env) -> Path:
    """Commands run in tmp_path with a studybot.yaml whose database is there too (created, empty: the commands
    that only read refuse a database that does not exist)."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "studybot.yaml"
    path.write_text(f"database:\n  url: sqlite:///{tmp_path / 't.db'}\n", encoding="utf-8")
    create_database(f"sqlite:///{tmp_path / 't.db'}")
    return path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Skipped tests are said, with why, even under -qq: a suite that quietly skips the PostgreSQL or the browser
    tests must not look the same as one that ran them."""
    reasons: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    for reason, count in sorted(reasons.items()):
        terminalreporter.write_line(f"跳过 {count} 项：{reason}")
