"""The forms 填空 answers are compared in (quizzes.grading.blank): folded, normalised (exact mode) and canonical
(normal mode: numerals in digits, 与/及 as 和), and the particle words."""

from __future__ import annotations

import re
import unicodedata

from quizzes.grading.numerals import SET_PHRASES, to_digits

__all__ = ["PARTICLES", "NOISE", "fold", "normalize", "canonical"]

PARTICLES = frozenset("的之地得了和与及")

NOISE = re.compile(r"[\W_]+")
# 和/与/及 join the same things: 批评与自我批评 = 批评和自我批评 (both sides folded alike, so 参与 is unharmed)
_CONJUNCTIONS = str.maketrans("与及", "和和")


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def normalize(text: str) -> str:
    """The exact-mode form: full-width folded, lower case, no whitespace or punctuation."""
    return NOISE.sub("", fold(text))


def canonical(text: str, keep: frozenset[str] = SET_PHRASES) -> str:
    """The normal-mode form of folded text: no whitespace or punctuation, numerals in digits, 与/及 as 和."""
    return to_digits(NOISE.sub("", text), keep).translate(_CONJUNCTIONS)
