"""What the bench scripts share: the project on sys.path (they run as plain scripts) and the small
bank the channel benches play."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

BANK = """\
name: 基准题库
questions:
  - type: single
    question: 党的最高领导机关是（）。
    options: [党的全国代表大会和它所产生的中央委员会, 中央政治局, 中央书记处, 中央军事委员会]
    answer: A
  - type: single
    question: 党的根本组织原则是（）。
    options: [民主集中制, 集体领导, 党内民主, 少数服从多数]
    answer: A
"""
