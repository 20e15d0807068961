"""What the minutes dialogue and `studybot meetings minutes` show: a record as a 书记 reads it, and the questions."""

from __future__ import annotations

from bot.storage.minutes import MINUTES_FIELDS
from bot.storage.models_records import MinutesRow

__all__ = ["FIELD_COUNT", "AGENDA", "fields_of", "record_lines", "saved_line", "question", "shorten"]

FIELD_COUNT = len(MINUTES_FIELDS)
AGENDA = next(i for i, (key, _) in enumerate(MINUTES_FIELDS) if key == "agenda")
_QUESTIONS = {"chair": "主持人是谁？", "recorder": "记录人是谁？", "agenda": "会议的议程/主题是什么？",
              "content": "会议的主要内容是什么？（一条消息写完）", "decisions": "会议作出了哪些决议？"}


def shorten(text: str, size: int = 30) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= size else flat[:size] + "…"


def fields_of(row: MinutesRow) -> dict[str, str]:
    return {key: getattr(row, key) for key, _ in MINUTES_FIELDS}


def record_lines(fields: dict[str, str]) -> list[str]:
    """主持人：…, one line per field (「（未填）」 for an empty one); long text keeps its own lines."""
    return [f"{label}：{fields.get(key) or '（未填）'}" for key, label in MINUTES_FIELDS]


def saved_line(row: MinutesRow) -> str:
    first = f"{row.recorded_at:%Y-%m-%d %H:%M}"
    if row.updated_at == row.recorded_at:
        return f"记录于 {first}（{row.recorded_by or '未署名'}）"
    return f"首次记录于 {first}，最后由 {row.recorded_by or '未署名'} 修改于 {row.updated_at:%Y-%m-%d %H:%M}"


def question(step: int, prefill: dict[str, str], topic: str) -> str:
    """The question of `step` (0-based), with what 「同上」 keeps and what 「跳过」 does."""
    key, _label = MINUTES_FIELDS[step]
    text = f"{step + 1}/{FIELD_COUNT} {_QUESTIONS[key]}"
    kept = prefill.get(key, "")
    if key == "agenda" and topic and kept in ("", topic):
        return text + f"\n（回复「同上」或「跳过」沿用会议主题：{shorten(topic)}）"
    if kept:
        text += f"\n（回复「同上」保留：{shorten(kept)}）"
    if key == "agenda" and topic:
        return text + f"\n（回复「跳过」沿用会议主题：{shorten(topic)}）"
    return text + "\n（回复「跳过」留空）"
