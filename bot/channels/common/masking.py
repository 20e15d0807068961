"""Secrets that travel in URLs (a webhook's key, a robot's access token and signature, a stream
ticket) kept out of the log.

httpx logs every request's URL at INFO, so the group webhooks mask the secret parameters in
httpx's own log lines (`mask_in_log`); an error text that may quote a URL loses its whole query
(`without_query`)."""

from __future__ import annotations

import logging
import re
import threading

__all__ = ["mask_in_log", "without_query"]

_lock = threading.Lock()


class _MaskQuery(logging.Filter):
    """Masks the values of the named query parameters in a record's arguments."""

    def __init__(self) -> None:
        super().__init__()
        self.names: frozenset[str] = frozenset()
        self._pattern = re.compile("(?!)")

    def add(self, names: tuple[str, ...]) -> None:
        self.names |= set(names)
        alternatives = "|".join(re.escape(name) for name in sorted(self.names))
        self._pattern = re.compile(rf"([?&](?:{alternatives})=)[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._mask(arg) for arg in record.args)
        return True

    def _mask(self, arg: object) -> object:
        text = str(arg)
        if "=" not in text:
            return arg
        masked = self._pattern.sub(r"\1***", text)
        return arg if masked == text else masked


def mask_in_log(*names: str, logger: str = "httpx") -> None:
    """From now on, `logger`'s records show the query parameters `names` as ***."""
    with _lock:
        target = logging.getLogger(logger)
        mask = next((f for f in target.filters if isinstance(f, _MaskQuery)), None)
        if mask is None:
            mask = _MaskQuery()
            target.addFilter(mask)
        if not set(names) <= mask.names:
            mask.add(names)


def without_query(text: str) -> str:
    """An error text without any URL query in it (a stream address carries its ticket there)."""
    return text.split("?", 1)[0] if "?" in text else text
