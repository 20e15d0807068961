"""What the three callback endpoints refuse, each case as WeChat's or WeCom's servers would never
send it: timestamps too long for a number, bodies nested past the parser's depth, URL checks out of
the timestamp window, a (timestamp, nonce) pair seen before carrying another request. Every refusal
is a 4xx with one log line and no traceback, and nothing stored; the platform's own retry of a
message is still answered."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from callback_wire import ENDPOINTS, Call, Endpoint, RobotWire, open_endpoint, served, stored

from bot.clock import ManualClock
from bot.messages import Incoming, Outgoing

_msgids = itertools.count(6_100_000_000_000_000_001)


@pytest.fixture(params=ENDPOINTS)
def endpoint(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock) -> Iterator[Endpoint]:
    opened = open_endpoint(request.param, tmp_path, clock)
    yield opened
    opened.close()


def refused(endpoint: Endpoint, call: Call, caplog: pytest.LogCaptureFixture) -> int:
    """Send `call`; assert it was refused in one log line, without a traceback, with nothing stored;
    its status."""
    before = stored(endpoint.service.app)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="bot"):
        response = endpoint.service.send(call)
    mine = [r for r in caplog.records if r.name.startswith("bot.")]
    assert 400 <= response.status_code < 500, (response.status_code, call.params)
    assert len(mine) == 1 and mine[0].levelno == logging.WARNING, [r.getMessage() for r in mine]
    assert mine[0].exc_info is None and "Traceback" not in caplog.text
    assert stored(endpoint.service.app) == before
    return response.status_code


def test_a_timestamp_too_long_for_a_number_is_refused(endpoint: Endpoint, caplog: pytest.LogCaptureFixture) -> None:
    for digits in (309, 4301, 5000):  # as a float it overflows from 309 digits; int() refuses 4,301
        huge = "9" * digits
        assert refused(endpoint, endpoint.wire.verification(timestamp=huge), caplog) == 403
        call = endpoint.wire.message("帮助", next(_msgids), timestamp=huge)
        assert refused(endpoint, call, caplog) == 403


def test_a_robot_body_nested_past_the_parsers_depth_is_400(tmp_path: Path, clock: ManualClock,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    endpoint = Endpoint("robot", served(tmp_path, clock), RobotWire())
    try:
        genuine = endpoint.wire.message("帮助", "deep-1")
        for body in (b"[" * 1000, b"[" * 60_000, b'{"encrypt": ' + b"[" * 5000, b'{"a": ' * 3000):
            assert refused(endpoint, genuine.but(body=body), caplog) == 400
    finally:
        endpoint.close()


def test_url_verification_outside_the_timestamp_window_is_refused(endpoint: Endpoint,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    now = int(endpoint.wire.now())  # the Official Account and the robot check against the wall clock: it moves on
    for skew in (-301, 310, -10**9, 10**9):
        assert refused(endpoint, endpoint.wire.verification(timestamp=now + skew), caplog) == 403
    fresh = endpoint.service.send(endpoint.wire.verification("echo-42", timestamp=now - 200))
    assert (fresh.status_code, fresh.text) == (200, "echo-42")


def test_a_url_check_sent_again_is_refused(endpoint: Endpoint, caplog: pytest.LogCaptureFixture) -> None:
    call = endpoint.wire.verification("echo-1")
    assert endpoint.service.send(call).text == "echo-1"
    assert refused(endpoint, call, caplog) == 403


def test_a_captured_callback_carrying_another_body_is_refused(endpoint: Endpoint,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    """The replay the Official Account's plaintext mode allowed: its signature leaves the body out."""
    genuine = endpoint.wire.message("帮助", next(_msgids))
    assert endpoint.service.send(genuine).status_code == 200
    forged = endpoint.wire.message("每日一题", next(_msgids), user="mallory")
    assert refused(endpoint, Call(genuine.method, genuine.path, genuine.params, forged.body), caplog) == 403


def test_a_retry_with_the_very_same_request_gets_the_first_reply(endpoint: Endpoint) -> None:
    """Whether WeChat and WeCom retry with new query parameters or the same ones, a retry is
    answered: with the same ones it is the same request again, answered from the reply cache."""
    call = endpoint.wire.message("帮助", next(_msgids))
    first = endpoint.wire.read(endpoint.service.send(call))
    before = stored(endpoint.service.app)
    again = endpoint.wire.read(endpoint.service.send(call))
    assert first is not None and again == first
    assert stored(endpoint.service.app) == before


def reply_text(reply: object) -> str:
    return reply["stream"]["content"] if isinstance(reply, dict) else str(reply)


@pytest.mark.parametrize("name", ["mp_safe", "app", "robot"])
def test_a_flood_of_messages_keeps_only_the_newest_replies(tmp_path: Path, clock: ManualClock, name: str) -> None:
    endpoint = open_endpoint(name, tmp_path, clock, remember=20)  # that endpoint alone, keeping 20 of each
    answered = itertools.count(1)

    def handle(incoming: Incoming) -> list[Outgoing]:  # the channel's memory is under test, not the dispatcher
        return [Outgoing(incoming.chat, f"第 {next(answered)} 次作答")]

    endpoint.service.app.handle = handle  # type: ignore[method-assign]
    try:
        msgids = [next(_msgids) for _ in range(60)]
        for msgid in msgids:
            assert endpoint.wire.read(endpoint.service.send(endpoint.wire.message("A", msgid))) is not None
        latest = endpoint.wire.read(endpoint.service.send(endpoint.wire.message("A", msgids[-1])))
        assert reply_text(latest) == "第 60 次作答"  # still kept: the same reply
        oldest = endpoint.wire.read(endpoint.service.send(endpoint.wire.message("A", msgids[0])))
        assert reply_text(oldest) == "第 61 次作答"  # forgotten: the dispatcher's stored ids stop a double answer
    finally:
        endpoint.close()
