"""Who a logged-in member is, remembered for a minute, for the live contest page's answers and streams only: 10,000
members answering within seconds made a database read per request (session cookie → member) a fifth of an answer's
cost (bench/h5.py). Dashboard pages keep reading the member afresh (Dashboard.viewer: a role taken away applies at
once); an answer is already judged on the contest service's own five-minute memory of who a member is
(bot/services/directory.py), so a minute here changes nothing a member could notice. A roster imported through the
dashboard clears it at once (bot/web/pages/roster.py), as it clears the contest service's memory."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.web.viewer import Viewer

__all__ = ["ViewerCache"]

KEEP = timedelta(minutes=1)
LARGEST = 20_000  # members remembered; beyond this the memory starts again (a contest's members come back at once)


class ViewerCache:
    def __init__(self, read: Callable[[int], Viewer | None]) -> None:
        self._read = read  # the database read (bot/web/viewer.viewer_of on a fresh connection)
        self._known: dict[int, tuple[datetime, Viewer]] = {}

    def viewer(self, member_id: int, now: datetime) -> Viewer | None:
        """The member as a viewer, read at most once a minute; None (never remembered) when the member is gone."""
        known = self._known.get(member_id)
        if known is not None and timedelta(0) <= now - known[0] < KEEP:
            return known[1]
        viewer = self._read(member_id)
        if viewer is None:
            self._known.pop(member_id, None)
            return None
        if len(self._known) >= LARGEST:
            self._known.clear()
        self._known[member_id] = (now, viewer)
        return viewer

    def clear(self) -> None:
        self._known.clear()
