"""填空 answers as the readers find them: the blanks in a stem, and an answer split into each blank's
accepted alternatives."""

from __future__ import annotations

import re

from quizzes.importers.common import Invalid, answer_as_text, clean_cell, is_empty_answer

__all__ = ["count_blank_slots", "split_blank_answer"]

# A blank in a stem: （）, ( ), 《》 left empty, or a run of underscores.
_BLANK_SLOT = re.compile(r"[（(][\s\u3000]*[)）]|《[\s\u3000]*》|【[\s\u3000]*】|[_＿]{2,}")


def count_blank_slots(text: str) -> int:
    return len(_BLANK_SLOT.findall(text))


def split_blank_answer(raw: object, stem: str) -> list[list[str]]:
    """Each blank's accepted answers.
    Text: alternatives separated by |, empty alternatives dropped (`三|` -> 三); several blanks separated
    by ；/; or 、 only when the stem has exactly that many blanks (（）, ( ), 《》, ____) — otherwise
    、 belongs to the answer. A list: a list of lists is one list per blank; a flat list is one entry
    per blank when the stem has that many blanks (≥2), else the accepted answers of a single blank."""
    slots = count_blank_slots(stem)
    if isinstance(raw, (list, tuple)):
        items = [a for a in raw if not is_empty_answer(a)]
        if items and all(isinstance(a, (list, tuple)) for a in items):
            blanks = [[alt for a in alts for alt in _alternatives(clean_cell(a))] for alts in items]
        elif len(items) >= 2 and len(items) == slots:
            blanks = [_alternatives(answer_as_text(a)) for a in items]
        else:
            blanks = [[alt for a in items for alt in _alternatives(answer_as_text(a))]]
    else:
        text = answer_as_text(raw)
        parts = [text]
        if slots >= 2:
            for separator in (r"[；;]", r"、"):
                candidate = re.split(separator, text)
                if len(candidate) == slots:
                    parts = candidate
                    break
        blanks = [_alternatives(part) for part in parts]
    for number, alternatives in enumerate(blanks, start=1):
        if not alternatives:
            raise Invalid(f"填空题第 {number} 个空没有答案" if len(blanks) > 1 else "填空题没有答案（只有分隔符「|」）")
    return blanks


def _alternatives(text: str) -> list[str]:
    seen: list[str] = []
    for alternative in re.split(r"[|｜]", text):
        alternative = alternative.strip(" \t\r\n\u3000")
        if alternative and alternative not in seen:
            seen.append(alternative)
    return seen
