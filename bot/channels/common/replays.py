"""A callback's freshness: its timestamp within a window of now, and its (timestamp, nonce) pair not
taken before with another request.

The signature binds the timestamp and nonce, so remembering the pairs taken for as long as their
timestamp passes the window leaves nothing to replay. Whether WeChat and WeCom retry a callback
with new query parameters or the same ones is not documented: their documents say only that the
callback is sent again (重新发起请求, up to 3 times, the same MsgId), and implementers report the
message text unchanged. So the very same request again ("again") is taken for the platform's retry
and answered from the endpoint's reply cache (or refused when that has no reply for it), while the
same pair carrying anything else ("replay": a captured plaintext callback used to post another
body) is refused. Pairs are remembered only for callbacks that passed every check, so forged ones
cannot fill the memory, and there are at most `remember` of them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Literal

from bot.channels.common.callbacks import stale_timestamp
from bot.channels.common.reply_cache import MAX_ENTRIES, TTLCache

__all__ = ["ReplayGuard", "Seen"]

Seen = Literal["new", "again", "replay"]


def _digest(*parts: str | bytes) -> bytes:
    """16 bytes whatever the lengths: a nonce may be as long as the query allows."""
    hashed = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "replace") if isinstance(part, str) else part
        hashed.update(len(data).to_bytes(8, "big") + data)
    return hashed.digest()


class ReplayGuard:
    """`window`: seconds a timestamp may be off `clock` (Unix seconds, the clock the endpoint
    checks timestamps against)."""

    def __init__(self, *, window: float, clock: Callable[[], float], remember: int = MAX_ENTRIES) -> None:
        self._window, self._clock = window, clock
        # a pair is seen no earlier than `window` before its timestamp and passes the check until
        # `window` after it, that second included: kept 2 × window + 1 s from when it was first
        # seen, it outlives its timestamp
        self._seen: TTLCache[bytes] = TTLCache(2 * window + 1, remember, clock)

    def stale(self, timestamp: str | None) -> str | None:
        """Why the timestamp is refused (for the log line), or None when it is fresh."""
        return stale_timestamp(timestamp, self._clock(), self._window)

    def seen(self, timestamp: str, nonce: str, content: str | bytes) -> Seen:
        """Note the pair of a callback that passed every other check, carrying `content`: the
        message as decrypted (a retry encrypted anew is still the same message), or the body as it
        came when it is not encrypted."""
        key, digest = _digest(timestamp, nonce), _digest(content)
        earlier = self._seen.get(key)
        if earlier is None:
            self._seen.put(key, digest)
            return "new"
        return "again" if earlier == digest else "replay"

    def __len__(self) -> int:
        return len(self._seen)

    def replayed(self, timestamp: str, nonce: str, content: str | bytes, *, kept: bool = False) -> str | None:
        """Why a callback that passed every other check is refused (for the log line), or None: its
        pair seen before with another request, or the same request again while `kept` is false
        (the endpoint has no reply kept to give a retry; a URL check has none)."""
        seen = self.seen(timestamp, nonce, content)
        if seen == "new" or (seen == "again" and kept):
            return None
        return "timestamp and nonce seen before " + ("with another request" if seen == "replay"
                                                     else "on the same request, and no reply kept for it")
