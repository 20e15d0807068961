"""The lenient rules of 填空 grading (quizzes.grading.blank): one small slip per blank — a particle missing or
extra, one typo that makes a key word nonsense rather than another word, the digits of a numbered set phrase."""

from __future__ import annotations

from quizzes.grading import segmenter
from quizzes.grading.normalize import PARTICLES, canonical
from quizzes.grading.prepared import Alt, Blank, Prepared
from quizzes.grading.typed import Typed

__all__ = ["lenient"]

_RARE_WORD = 10  # dictionary count below which a word is taken for a typo (see _real_word)


def lenient(prep: Prepared, typed: Typed) -> bool:
    blanks = prep.blanks
    if len(blanks) == 1:
        pieces = [(typed.canon, "".join(typed.raw_parts))]
    elif len(typed.parts) == len(blanks):
        pieces = list(zip(typed.parts, typed.raw_parts))
    else:
        return False
    words = frozenset(prep.words)
    return all(canon in blank.accept or _lenient_blank(blank, canon, raw, prep.stem, words)
               for blank, (canon, raw) in zip(blanks, pieces))


def _cores(text: str, blank: Blank) -> list[str]:
    """`text` without words repeated from the stem around the blank (each way of taking them off)."""
    cores = []
    for left in blank.lefts:
        if text.startswith(left):
            for right in blank.rights:
                if len(left) + len(right) < len(text) and text.endswith(right):
                    cores.append(text[len(left):len(text) - len(right)])
    return cores


def _lenient_blank(blank: Blank, canon: str, raw: str, stem: str, words: frozenset[str]) -> bool:
    cores = _cores(canon, blank)
    for core in cores:
        for alt in blank.alts:
            if _particles_only(core, alt) or _one_slip(core, alt.canon, alt.spans, stem, words):
                return True
    full = canonical(raw, frozenset())  # set phrases in digits too: 4个全面, 2个维户
    return any(core == alt.full or (alt.full != alt.canon and _one_slip(core, alt.full, alt.full_spans, stem, words))
               for core in _cores(full, blank) for alt in blank.alts)


def _particles_only(core: str, alt: Alt) -> bool:
    if core == alt.canon or "".join(ch for ch in core if ch not in PARTICLES) != alt.bare_chars:
        return False
    return "".join(t for t in segmenter.split_words(core) if t not in PARTICLES) == alt.bare


def _span_at(spans: tuple[tuple[int, int], ...], index: int) -> tuple[int, int]:
    for start, end in spans:
        if start <= index < end:
            return start, end
    return index, index + 1


def _one_slip(core: str, expected: str, spans: tuple[tuple[int, int], ...], stem: str,
              words: frozenset[str]) -> bool:
    """One wrong, missing or extra character that leaves every key word a non-word typo of itself;
    `spans` are the words of `expected`, `stem` the question (whose words are never typos)."""
    if len(expected) < 4 or abs(len(core) - len(expected)) > 1 or core == expected:
        return False
    i = 0
    while i < min(len(core), len(expected)) and core[i] == expected[i]:
        i += 1
    if len(core) == len(expected):  # one wrong character
        if core[i + 1:] != expected[i + 1:] or core[i].isascii() or expected[i].isascii():
            return False
        start, end = _span_at(spans, i)
        slipped = core[start:end]
    elif len(core) < len(expected):  # one missing character, not the first or last (that is a fragment)
        if core[i:] != expected[i + 1:] or expected[i].isascii() or not 0 < i < len(expected) - 1:
            return False
        start, end = _span_at(spans, i)
        slipped = expected[start:i] + expected[i + 1:end]
    else:  # one extra character, inside a word
        if core[i + 1:] != expected[i:] or core[i].isascii():
            return False
        start, end = next(((s, e) for s, e in spans if s < i < e), (i, i))
        slipped = expected[start:i] + core[i] + expected[i:end]
    if end - start < 2 or not slipped or _real_word(slipped, words) or slipped in stem:
        return False  # a one-character word changed, or a key word turned into another word
    # a typo makes nonsense (全新全意 → 全新/全/意); real words side by side are other words (从宽治党 → 从宽/治党)
    return any(len(piece) == 1 for piece in segmenter.cut(slipped))


def _real_word(text: str, answers: frozenset[str]) -> bool:
    """A word in its own right: one of the question's answers, or a dictionary word that is not a rarity
    (实是, 3 uses in jieba's corpus, is a typo of 实事 rather than a word anyone means)."""
    return text in answers or segmenter.frequency(text) >= _RARE_WORD
