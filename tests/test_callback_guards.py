"""What the three callback endpoints refuse, each case as WeChat's or WeCom's servers would never
send it: timestamps too long for a number, bodies nested past the parser's depth, URL checks out of
the timestamp window. Every refusal is a 4xx with one log line and no traceback, and nothing stored."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from callback_wire import AppWire, Call, MPWire, RobotWire, Service, served, stored

from bot.clock import ManualClock

ENDPOINTS = ["mp_plain", "mp_safe", "app", "robot"]


class Endpoint:
    def __init__(self, service: Service, wire: MPWire | AppWire | RobotWire) -> None:
        self.service, self.wire = service, wire


@pytest.fixture(params=ENDPOINTS)
def endpoint(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock) -> Iterator[Endpoint]:
    name = request.param
    service = served(tmp_path, clock, mp_key=name != "mp_plain")
    wire = {"mp_plain": lambda: MPWire(safe=False), "mp_safe": lambda: MPWire(safe=True),
            "app": lambda: AppWire(service.wall), "robot": RobotWire}[name]()
    yield Endpoint(service, wire)
    service.close()
    service.app.close()


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


@pytest.mark.parametrize("digits", [309, 4301, 5000])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_timestamp_too_long_for_a_number_is_refused(endpoint: Endpoint, caplog: pytest.LogCaptureFixture,
                                                      digits: int, method: str) -> None:
    huge = "9" * digits  # as a float it overflows (309+ digits); int() refuses 4,301+ digits
    if method == "GET":
        call = endpoint.wire.verification(timestamp=huge)
    else:
        call = endpoint.wire.message("帮助", 6_000_000_000_000_000_001, timestamp=huge)
    assert refused(endpoint, call, caplog) in (400, 403)


def test_a_robot_body_nested_past_the_parsers_depth_is_400(tmp_path: Path, clock: ManualClock,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    service = served(tmp_path, clock)
    endpoint = Endpoint(service, RobotWire())
    try:
        genuine = endpoint.wire.message("帮助", "deep-1")
        for body in (b"[" * 1000, b"[" * 60_000, b'{"encrypt": ' + b"[" * 5000, b'{"a": ' * 3000):
            assert refused(endpoint, genuine.but(body=body), caplog) == 400
    finally:
        service.close()
        service.app.close()


@pytest.mark.parametrize("skew", [-301, 301, -10**9, 10**9])
def test_url_verification_outside_the_timestamp_window_is_refused(endpoint: Endpoint,
                                                                   caplog: pytest.LogCaptureFixture,
                                                                   skew: int) -> None:
    now = int(endpoint.wire.now())
    assert refused(endpoint, endpoint.wire.verification(timestamp=now + skew), caplog) == 403
    fresh = endpoint.service.send(endpoint.wire.verification("echo-42", timestamp=now - 290))
    assert (fresh.status_code, fresh.text) == (200, "echo-42")
