"""studybot.yaml's `summary:` section: the weekly summary for the committee — when, and to which groups and members."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["SummarySettings"]


class SummarySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    when: str = "每周一 09:00"  # a time phrase, as in study plans
    groups: list[str] = []  # groups (name or platform id) that get it; none and no members: no summary
    members: list[str] = []  # members (roster names) who get it privately, on every platform they use
