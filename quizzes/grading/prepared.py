"""What is computed once per 填空 question (quizzes.grading.blank): each blank's normalised alternatives, the
variants with stem words, key words and word spans, cached by the question's key and answers. The parts that
need the dictionary are computed on first need (`ensure_words`), with the question's answers added as words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from quizzes.grading import segmenter
from quizzes.grading.normalize import PARTICLES, canonical, fold, normalize
from quizzes.grading.numerals import SET_PHRASES, looks_like_set_phrase
from quizzes.model import Question

__all__ = ["Alt", "Blank", "Prepared", "prepared", "ensure_words"]

_SPACES = re.compile(r"\s+")
_PLACEHOLDER = re.compile(r"\(\s*\)|《\s*》|_{2,}")  # （）() and 《》 after NFKC, ____
_PUNCT = re.compile(r"[^\w\s]")
_QUOTES = re.compile(r"[\"'“”‘’「」『』《》]")  # inside a clause: “（）”战略 still reads 一带一路战略
_NEGATIONS = frozenset("不非无未")
_ECHO_WORDS = 4
_SAME_ECHO = ({"中共", "党的", "中国共产党"},)
_CACHE_LIMIT = 50_000


@dataclass(slots=True)
class Alt:
    display: str  # as the bank writes it
    norm: str  # normalised
    canon: str  # normalised, numerals in digits (set phrases kept)
    full: str = ""  # normalised, all numerals in digits (lenient: 4个全面)
    keywords: tuple[tuple[str, str], ...] = ()  # (as shown, canonical form)
    spans: tuple[tuple[int, int], ...] = ()  # word spans of canon (lenient typo rule)
    full_spans: tuple[tuple[int, int], ...] = ()  # word spans of full
    bare: str = ""  # canon without particle words (lenient)
    bare_chars: str = ""  # canon without particle characters (quick pre-check)


@dataclass(slots=True)
class Blank:
    alts: list[Alt]
    exact: frozenset[str]
    exact_lengths: tuple[int, ...]
    left_clause: str
    right_clause: str
    lefts: tuple[str, ...] = ("",)
    rights: tuple[str, ...] = ("",)
    accept: frozenset[str] = frozenset()
    lengths: tuple[int, ...] = ()


@dataclass(slots=True)
class Prepared:
    blanks: list[Blank]
    keep: frozenset[str]  # set phrases kept as written by the numeral conversion
    stem: str  # the question, canonical: a "typo" that makes one of its words is no typo (立党为公 → 执政为公)
    words_ready: bool = False
    words: list[str] = field(default_factory=list)


_cache: dict[tuple[str, tuple[tuple[str, ...], ...]], Prepared] = {}


def prepared(question: Question) -> Prepared:
    cache_key = (question.key, question.blanks)
    prep = _cache.get(cache_key)
    if prep is None:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        prep = _cache[cache_key] = _build(question)
    return prep


def _alternatives(alternatives: Iterable[str]) -> list[str]:
    """A blank's accepted answers, stripped, without repeats or empty ones (the bank's 三|)."""
    seen: list[str] = []
    for alt in alternatives:
        alt = alt.strip()
        if alt and normalize(alt) and alt not in seen:
            seen.append(alt)
    return seen or [""]  # nothing usable: no typed answer can match it


def _build(question: Question) -> Prepared:
    blanks_raw = [_alternatives(alts) for alts in question.blanks] or [[question.answer]]
    keep = SET_PHRASES | {normalize(a) for alts in blanks_raw for a in alts if looks_like_set_phrase(normalize(a))}
    contexts = _stem_contexts(question.text, len(blanks_raw))
    blanks: list[Blank] = []
    words: list[str] = []
    for alts_raw, (left, right) in zip(blanks_raw, contexts):
        alts = []
        for display in alts_raw:
            norm = normalize(display)
            canon = canonical(fold(display).strip(), keep)
            alts.append(Alt(display, norm, canon))
            words += [w for w in dict.fromkeys((norm, canon)) if w and not w.isascii()]
        exact = frozenset(a.norm for a in alts)
        blanks.append(Blank(alts, exact, tuple(sorted({len(x) for x in exact})), left, right))
    return Prepared(blanks, keep, canonical(fold(question.text), keep), words=words)


def _stem_contexts(stem: str, count: int) -> list[tuple[str, str]]:
    """For each blank, the clause of the stem just before it and just after it (normalised, no spaces)."""
    pieces = [_QUOTES.sub("", piece) for piece in _PLACEHOLDER.split(fold(stem))]
    if len(pieces) != count + 1:
        return [("", "")] * count
    contexts = []
    for before, after in zip(pieces, pieces[1:]):
        left = _PUNCT.split(before)[-1]
        right = _PUNCT.split(after)[0]
        contexts.append((_SPACES.sub("", left), _SPACES.sub("", right)))
    return contexts


def ensure_words(prep: Prepared) -> None:
    """The parts that need the dictionary: user words, echo variants, key words."""
    if prep.words_ready:
        return
    with segmenter.words_added(prep.words):
        _segment(prep)
    prep.words_ready = True


def _segment(prep: Prepared) -> None:
    for blank in prep.blanks:
        left_words = segmenter.cut(blank.left_clause) if blank.left_clause else []
        right_words = segmenter.cut(blank.right_clause) if blank.right_clause else []
        lefts = {"".join(left_words[-i:]) for i in range(1, min(_ECHO_WORDS, len(left_words)) + 1)}
        rights = {"".join(right_words[:i]) for i in range(1, min(_ECHO_WORDS, len(right_words)) + 1)}
        for same in _SAME_ECHO:
            if lefts & same:
                lefts |= same
        blank.lefts = ("", *sorted({canonical(e, prep.keep) for e in lefts}, key=len))
        blank.rights = ("", *sorted({canonical(e, prep.keep) for e in rights}, key=len))
        blank.accept = frozenset(left + alt.canon + right
                                 for alt in blank.alts for left in blank.lefts for right in blank.rights)
        blank.lengths = tuple(sorted({len(x) for x in blank.accept}))
        for alt in blank.alts:
            alt.full = canonical(fold(alt.display).strip(), frozenset())
            alt.keywords = _keywords(alt, prep.keep)
            tokens = segmenter.split_words(alt.canon)
            alt.spans = _spans(tokens)
            alt.full_spans = _spans(segmenter.split_words(alt.full)) if alt.full != alt.canon else alt.spans
            alt.bare = "".join(t for t in tokens if t not in PARTICLES)
            alt.bare_chars = "".join(ch for ch in alt.canon if ch not in PARTICLES)


def _spans(tokens: list[str]) -> tuple[tuple[int, int], ...]:
    spans, start = [], 0
    for token in tokens:
        spans.append((start, start + len(token)))
        start += len(token)
    return tuple(spans)


def _keywords(alt: Alt, keep: frozenset[str]) -> tuple[tuple[str, str], ...]:
    tokens = segmenter.split_words(alt.norm)
    if all(len(t) == 1 for t in tokens):  # 南湖 → 南/湖: no smaller words, the answer is its own key word
        tokens = [alt.norm]
    converted = [canonical(t, keep) for t in tokens]
    if "".join(converted) != alt.canon:  # a numeral read differently once split: keep the answer whole
        return ((alt.display, alt.canon),)
    words: list[tuple[str, str]] = []
    pending = ("", "")
    for token, canon in zip(tokens, converted):
        if token in PARTICLES:
            continue
        if token in _NEGATIONS:  # 不/平衡 → 不平衡
            pending = (pending[0] + token, pending[1] + canon)
            continue
        words.append((pending[0] + token, pending[1] + canon))
        pending = ("", "")
    if pending[0]:
        words.append(pending)
    return tuple(words) or ((alt.display, alt.canon),)

