"""What the bundled banks promise beyond loading: every question with a 解析 and a 出处, and a 解析 that does not
repeat the 出处 (a reveal shows both, one under the other). A user's own bank need not have either, so this is not
part of `studybot bank check`; the bundled content test (tests/test_bundled_content.py) holds the bundled banks to it.

    notes = content_notes(bank)   # Chinese, one a question that falls short; [] when none does
"""

from __future__ import annotations

import re

from quizzes.model import Bank

__all__ = ["content_notes"]

# 「依据党章第十条，…」: the reference a 解析 opened with before questions had a source of their own
_CITING_OPENING = re.compile(r"^(依据|根据|按照)\S*?(党章|《)")


def content_notes(bank: Bank) -> list[str]:
    notes = []
    for number, question in enumerate(bank.questions, start=1):
        where = f"「{bank.name}」第 {number} 题（{question.text[:20]}）"
        if not question.explanation:
            notes.append(f"{where}：没有解析（explanation）")
        if not question.source:
            notes.append(f"{where}：没有出处（source）")
        elif _CITING_OPENING.match(question.explanation):
            notes.append(f"{where}：解析以「{question.explanation[:8]}…」开头，与出处重复；出处只写在 source 中")
    return notes
