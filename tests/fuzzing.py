"""Malformed platform payloads for the channel fuzz tests: a genuine payload with fields deleted or replaced by a
value of the wrong kind, at any depth; now and then not an object at all."""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import random
from collections.abc import Iterator
from typing import Any

from safeio.text import encodable

__all__ = ["WRONG", "mutated", "Records", "clean_log"]

# values no field of a platform's payload should hold: wrong types, empty, huge, NUL, a lone surrogate, JSON text
WRONG: list[Any] = [None, 0, -1, 10**30, 1.5, True, "", " ", "x" * 5000, "\x00", "\ud800", "💥" * 50, [], [1, "a"],
                    {}, {"content": 1}, {"a": {"b": {"c": []}}}, "null", "{", "$:LWCP_v1:$"]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in [(*prefix, key), *_paths(item, (*prefix, key))]]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in [(*prefix, i), *_paths(item, (*prefix, i))]]
    return []


def mutated(genuine: dict[str, Any], rng: random.Random) -> Any:
    """A copy of `genuine` with one to three fields, at any depth, deleted or given a value from WRONG (or a
    string field given damaged JSON); one in twenty is not an object at all."""
    if rng.random() < 0.05:
        return rng.choice([[], "帮助", [genuine], 7])
    data = json.loads(json.dumps(genuine))
    for _ in range(rng.randint(1, 3)):
        paths = _paths(data)
        if not paths:
            break
        *parents, last = rng.choice(paths)
        holder = data
        for step in parents:
            holder = holder[step]
        if rng.random() < 0.3 and isinstance(holder, dict):
            del holder[last]
        elif isinstance(holder[last], str) and holder[last].startswith("{") and rng.random() < 0.5:
            holder[last] = rng.choice(["{", "[]", json.dumps({"cardPrivateData": rng.choice(WRONG)}),
                                       json.dumps({"cardPrivateData": {"actionIds": ["answer"],
                                                                       "params": {"choice": rng.choice(WRONG)}}})])
        else:
            holder[last] = copy.deepcopy(rng.choice(WRONG))  # a later mutation must not change WRONG
    return data


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def clean_log() -> Iterator[Records]:
    """Every record of the `bot` loggers in the block, checked after it: no traceback, nothing at ERROR or above,
    and no lone surrogate from a payload (a log file in UTF-8 could not hold the line)."""
    records, bot_log = Records(), logging.getLogger("bot")
    bot_log.addHandler(records)
    bot_log.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        bot_log.removeHandler(records)
        bot_log.setLevel(logging.NOTSET)
    tracebacks = [r for r in records.records if r.exc_info is not None or r.levelno >= logging.ERROR]
    assert not tracebacks, [(r.getMessage(), r.exc_info and r.exc_info[1]) for r in tracebacks[:5]]
    assert not [r.msg for r in records.records if r.getMessage() != encodable(r.getMessage())]
