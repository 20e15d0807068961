"""The optional per-question fields as the readers find them: 分值, 判分 (strictness), 限时, 知识点, 难度."""

from __future__ import annotations

import math
import re
import unicodedata

from quizzes.importers.common import Invalid, clean_cell

__all__ = ["STRICTNESS_WORDS", "STRICTNESS_LABELS", "parse_points", "parse_strictness", "parse_time_limit",
           "parse_topic", "parse_difficulty"]

STRICTNESS_WORDS = {
    "exact": "exact", "精确": "exact", "严格": "exact", "完全一致": "exact",
    "normal": "normal", "标准": "normal", "一般": "normal", "普通": "normal",
    "lenient": "lenient", "宽松": "lenient",
}
STRICTNESS_LABELS = {"exact": "精确", "normal": "标准", "lenient": "宽松"}


def parse_points(value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise Invalid(f"分值「{value}」不是数字")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = re.sub(r"\s*分$", "", unicodedata.normalize("NFKC", str(value)).strip())
        try:
            number = float(text)
        except ValueError:
            raise Invalid(f"分值「{value}」不是数字") from None
    if not math.isfinite(number) or number < 0:
        raise Invalid(f"分值「{value}」应为不小于 0 的数字")
    return number


def parse_strictness(value: object) -> str | None:
    text = clean_cell(value)
    if not text:
        return None
    strictness = STRICTNESS_WORDS.get(unicodedata.normalize("NFKC", text).lower())
    if strictness is None:
        raise Invalid(f"判分方式「{text}」无法识别，应为 exact（精确）、normal（标准）或 lenient（宽松）")
    return strictness


def parse_time_limit(value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str):
        match = re.fullmatch(r"(\d+)\s*(?:秒|s|sec)?", unicodedata.normalize("NFKC", value).strip().lower())
        seconds = int(match.group(1)) if match else None
    if seconds is None or seconds != int(seconds) or not 5 <= seconds <= 600:
        raise Invalid(f"限时「{value}」应为 5 到 600 之间的整数（秒）")
    return int(seconds)


def parse_topic(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "、".join(clean_cell(v) for v in value if clean_cell(v))
    if isinstance(value, dict):
        raise Invalid("知识点应为文字或文字列表")
    return clean_cell(value)


def parse_difficulty(value: object) -> str:
    if isinstance(value, (list, tuple, dict)):
        raise Invalid("难度应为文字或数字")
    return clean_cell(value)
