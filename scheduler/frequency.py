"""How close together schedules fire: what keeps one study push (or a plan's contest) from flooding a group.

Judged from the triggers themselves, walked the way APScheduler advances a job, so a cron, a Chinese phrase and a
workday rule are measured alike, holiday shifts included (a Monday holiday moves its push onto Tuesday's)."""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger

from scheduler.phrases import fire_times

__all__ = ["crowded", "LOOKAHEAD"]

# A cron limited to some months or to the 31st shows itself within a year; a rule that fires only on 29 February
# is seen only when a leap year is near.
LOOKAHEAD = timedelta(days=366)


def crowded(triggers: Sequence[BaseTrigger], *, start: datetime, gap: timedelta,
            lookahead: timedelta = LOOKAHEAD) -> tuple[datetime, datetime] | None:
    """The first two fire times of `triggers` together that come less than `gap` apart within `lookahead` after
    `start` (two triggers firing at the same moment are 0 apart); None when every two are `gap` or more apart.

    The walk stops at the first such pair, so a flood is found in a few steps; a schedule that keeps its distance
    costs one step per fire time in the lookahead."""
    end = start + lookahead
    previous: datetime | None = None
    for moment in heapq.merge(*(fire_times(trigger, start, end) for trigger in triggers)):
        if previous is not None and moment - previous < gap:
            return previous, moment
        previous = moment
    return None
