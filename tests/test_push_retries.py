"""A push reaches its group once, or at most twice when its request timed out, and the outbox
counts every request the platform saw (issue 11: one push reached a group 15 times while the outbox
recorded one attempt; 183 pushes became 471 requests). The whole road on virtual time
(tests/push_scenarios.py): the outbox worker, WeCom's group webhooks, a slow fake on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

from push_scenarios import Figures, run_pushes


def run(tmp_path: Path, kind: str, pushes: int) -> Figures:
    return asyncio.run(asyncio.wait_for(run_pushes(tmp_path, kind, pushes), 120))


def test_a_webhook_that_answers_after_the_timeout_gets_each_push_at_most_twice(tmp_path: Path) -> None:
    figures = run(tmp_path, "late", 3)
    for push in figures.pushes:
        assert push.attempts == push.copies, push  # every request the platform saw, counted
        assert push.copies == 2, push  # the first, and the one retry after a pause
        assert (push.status, push.unconfirmed) == ("unsure", 2), push  # not sent a third time
    assert figures.requests == 6


def test_a_webhook_that_handles_one_request_at_a_time_gets_each_push_once_or_twice(tmp_path: Path) -> None:
    figures = run(tmp_path, "serial", 24)
    for push in figures.pushes:
        assert push.attempts == push.copies, push
        assert push.copies == 1 if push.unconfirmed == 0 else 1 <= push.copies <= 2, push  # extra: after a timeout
    answered_in_time = figures.count(status="sent", attempts=1)
    assert answered_in_time == 6  # 10 s / 1.5 s each: the rest waited past the client's timeout
    assert figures.requests == sum(p.copies for p in figures.pushes) <= 2 * 24 - answered_in_time
