"""The callback endpoints under generated attack, and under the platforms' own retries.

Per endpoint, at least 1,000 forged, stale, garbled or replayed callbacks drawn by hypothesis on a
fixed seed: each is refused with a 4xx and one log line, never a 5xx or a traceback, and the
database is left as it was (no member, no message id, no answer). Then one genuine message retried
three times at once, by the same request and by new ones: one stored answer, the same reply each
time."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from callback_wire import ENDPOINTS, Call, Endpoint, MPWire, open_endpoint, stored
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bot.clock import ManualClock

CASES = 1_000
OTHER_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # a key of the right shape, not ours
_msgids = itertools.count(6_200_000_000_000_000_001)

# what a header value can carry: any character but surrogates, which are not text
_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
TIMESTAMPS = st.one_of(
    # past 300 s either way; 310 ahead so that the wall clock moving on while a case is sent cannot bring it in
    st.integers(310, 10**15).flatmap(lambda off: st.sampled_from([off, -off])).map(lambda off: ("off", off)),
    st.sampled_from(["9" * 309, "9" * 4301, "1" * 5000, "0" * 30 + "1", "-1", "+1700000000", " 1700000000",
                     "1_700_000_000", "1e9", "１７００００００００", "²", "NaN", "inf", ""]).map(lambda t: ("raw", t)),
    _TEXT.map(lambda t: ("raw", t)),
)
BODIES = st.one_of(
    st.binary(max_size=2_000),
    _TEXT.map(str.encode),
    st.integers(1, 80_000).map(lambda n: b"[" * n),
    st.integers(1, 5_000).map(lambda n: b'{"encrypt": ' + b"[" * n),
    _TEXT.map(lambda t: f'{{"encrypt": "{t}"}}'.encode()),
    _TEXT.map(lambda t: f"<xml><Encrypt><![CDATA[{t}]]></Encrypt></xml>".encode()),
    _TEXT.map(lambda t: f"<xml><FromUserName>{t}</FromUserName><MsgType>text</MsgType></xml>".encode()),
    st.sampled_from([
        b"", b"<xml>", b"\xff\xfe<\x00x", b"x" * 70_000,
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><xml><Encrypt>&c;</Encrypt></xml>',
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Encrypt>&e;</Encrypt>'
        b"</xml>",
    ]),
)
SIGNATURES = st.one_of(st.text("0123456789abcdef", min_size=40, max_size=40), _TEXT)
KINDS = ["signature", "timestamp", "missing", "body", "replay", "other key", "plaintext", "url forged",
         "url stale", "url replay"]


def _kinds(name: str) -> list[str]:
    """What can be forged at `name`. Without a key the Official Account's body is not signed, so a
    fresh, correctly signed request with another body is no forgery there: only a replayed pair is."""
    if name == "mp_plain":
        return [k for k in KINDS if k not in ("body", "other key", "plaintext")]
    return [k for k in KINDS if k != "plaintext" or name == "mp_safe"]


def _signed_by(name: str) -> str:
    """The query parameter holding what signs a callback at `name`."""
    return "signature" if name == "mp_plain" else "msg_signature"


class Attack:
    """Builds the request a drawn case describes, on `endpoint`, with `captured` (a genuine
    callback and URL check already served) to replay."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint, self.wire = endpoint, endpoint.wire
        self.captured = self.wire.message("帮助", next(_msgids), user="victim")
        self.captured_url = self.wire.verification("echo-captured")

    def build(self, kind: str, value: Any) -> Call:
        wire, name = self.wire, self.endpoint.name
        fresh = wire.message("每日一题", next(_msgids), user="mallory")
        if kind == "signature":
            return fresh.but(**{_signed_by(name): value or "0"})
        if kind == "timestamp":
            return wire.message("每日一题", next(_msgids), user="mallory", timestamp=self._stamp(value))
        if kind == "missing":
            return fresh.but(**{value: ""})
        if kind == "body":
            return fresh.but(body=value)
        if kind == "replay":
            return Call("POST", self.captured.path, self.captured.params, value)
        if kind == "other key":  # correctly signed with our token, encrypted with another key
            other = MPWire(safe=True, now=wire.now, key=OTHER_KEY) if isinstance(wire, MPWire) \
                else type(wire)(wire.now, key=OTHER_KEY)
            return other.message("每日一题", next(_msgids), user="mallory")
        if kind == "plaintext":  # correctly signed, but not encrypted
            return MPWire(safe=False, now=wire.now).message("每日一题", next(_msgids), user="mallory")
        if kind == "url forged":
            return wire.verification().but(**{"signature" if name.startswith("mp") else "msg_signature": value or "0"})
        if kind == "url stale":
            return wire.verification(timestamp=self._stamp(value))
        return self.captured_url  # "url replay"

    def _stamp(self, value: tuple[str, Any]) -> str:
        how, stamp = value
        return str(int(self.wire.now()) + stamp) if how == "off" else stamp


def values(name: str, kind: str) -> st.SearchStrategy[Any]:
    if kind in ("signature", "url forged"):
        return SIGNATURES
    if kind in ("timestamp", "url stale"):
        return TIMESTAMPS
    if kind == "missing":  # what the endpoint needs (in safe mode the Official Account's `signature` is spare)
        needed = [_signed_by(name), "timestamp", "nonce"]
        return st.sampled_from(needed + ["encrypt_type"] if name == "mp_safe" else needed)
    if kind in ("body", "replay"):
        return BODIES
    return st.just(None)


class Lines(logging.Handler):
    """Every record the bot logs, for counting."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def endpoint(request: pytest.FixtureRequest, tmp_path: Path, clock: ManualClock) -> Iterator[Endpoint]:
    opened = open_endpoint(request.param, tmp_path, clock)
    yield opened
    opened.close()


@pytest.mark.parametrize("endpoint", ENDPOINTS, indirect=True)
def test_forged_stale_garbled_and_replayed_callbacks_are_refused(endpoint: Endpoint) -> None:
    attack = Attack(endpoint)
    assert endpoint.service.send(attack.captured).status_code == 200  # genuine, and seen
    assert endpoint.service.send(attack.captured_url).status_code == 200
    before = stored(endpoint.service.app)
    lines, bot = Lines(), logging.getLogger("bot")
    bot.addHandler(lines)
    bot.setLevel(logging.INFO)
    sent: list[tuple[str, int]] = []

    @settings(max_examples=CASES, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
    @given(case=st.sampled_from(_kinds(endpoint.name)).flatmap(
        lambda kind: st.tuples(st.just(kind), values(endpoint.name, kind))))
    def attempt(case: tuple[str, Any]) -> None:
        kind, value = case
        response = endpoint.service.send(attack.build(kind, value))
        sent.append((kind, response.status_code))
        assert 400 <= response.status_code < 500, (kind, value, response.status_code)

    try:
        attempt()
    finally:
        bot.removeHandler(lines)
        bot.setLevel(logging.NOTSET)
    assert len(sent) >= CASES and {kind for kind, _ in sent} == set(_kinds(endpoint.name))
    assert len(lines.records) == len(sent)  # one line each
    assert all(r.levelno == logging.WARNING and r.exc_info is None for r in lines.records)
    assert stored(endpoint.service.app) == before


# ----- the platforms' retries -----

def answers(endpoint: Endpoint) -> tuple[int, int]:
    """(daily answers stored, daily points awarded)."""
    with endpoint.service.app.db.session() as session:
        stored_answers = session.execute(text("SELECT COUNT(*) FROM daily_answer WHERE answer IS NOT NULL"))
        awarded = session.execute(text("SELECT COUNT(*) FROM points_ledger WHERE reason = 'daily'"))
        return stored_answers.scalar_one(), awarded.scalar_one()


def todays_answer(endpoint: Endpoint) -> str:
    app = endpoint.service.app
    with app.db.session() as session:
        bank, key = session.execute(text("SELECT bank, question_key FROM daily_answer")).one()
    question = app.catalog.question(bank, key)
    assert question is not None
    return question.answer


RETRIES: dict[str, Callable[[Endpoint, Call, str, int], list[Call]]] = {
    "same request": lambda endpoint, first, answer, msgid: [first] * 3,
    "new parameters": lambda endpoint, first, answer, msgid: [first] + [
        endpoint.wire.message(answer, msgid) for _ in range(2)],
}


@pytest.mark.parametrize("retry", list(RETRIES))
@pytest.mark.parametrize("endpoint", ENDPOINTS, indirect=True)
def test_three_concurrent_deliveries_of_one_message_store_one_answer_and_get_one_reply(endpoint: Endpoint,
                                                                                        retry: str) -> None:
    question = endpoint.wire.read(endpoint.service.send(endpoint.wire.message("每日一题", next(_msgids))))
    assert question is not None
    answer, msgid = todays_answer(endpoint), next(_msgids)
    first = endpoint.wire.message(answer, msgid)
    responses = endpoint.service.at_once(RETRIES[retry](endpoint, first, answer, msgid))
    replies = [endpoint.wire.read(response) for response in responses]
    assert replies[0] is not None and replies == [replies[0]] * 3
    assert "答对" in str(replies[0])
    assert answers(endpoint) == (1, 1)
