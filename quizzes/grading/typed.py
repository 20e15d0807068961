"""A 填空 answer as the member typed it, read into its blanks (quizzes.grading.blank): a leading 答：/答案是
dropped, blank numbers (1. 2、 ① (1) 第一空：) dropped when there are several blanks, the parts split at
separators and put in canonical form."""

from __future__ import annotations

import re
from dataclasses import dataclass

from quizzes.grading.normalize import NOISE, canonical, fold
from quizzes.grading.prepared import Prepared

__all__ = ["Typed", "SEPARATORS", "read_typed"]

SEPARATORS = re.compile(r"[\s,、;/|]+")  # after NFKC: ，→ , and ；→ ;
_MARKER = re.compile(r"^(?:答案\s*(?:是|为)?\s*[:：]?|答\s*[:：])\s*")
# Blank numbers people put before their answers: 1. 2、 ① (1) 第一空：
_ENUMERATOR = re.compile(r"(?:(?:^|(?<=[\s,，、;；]))\s*"
                         r"(?:第[一二三四五1-5]空\s*[:：]?|[（(]?[1-5][)）.．、:：])|[①-⑤])"
                         r"\s*(?=[^\d\s])")


@dataclass(slots=True)
class Typed:
    parts: list[str]  # per separator, canonical
    canon: str
    raw_parts: list[str]  # per separator, folded, before numeral conversion


def read_typed(answer: str, prep: Prepared) -> Typed:
    if len(prep.blanks) == 1:  # one blank: nothing separates anything (十九 大, 三中全、会)
        text = _MARKER.sub("", fold(answer).strip())
        raw_parts = [text] if NOISE.sub("", text) else []
    else:
        text = fold(_ENUMERATOR.sub(" ", _MARKER.sub("", answer.strip())))  # before NFKC, which makes ① a 1
        raw_parts = [p for p in SEPARATORS.split(text) if NOISE.sub("", p)]
    parts = [canonical(p, prep.keep) for p in raw_parts]
    return Typed(parts, "".join(parts), raw_parts)
