"""Grading 填空 answers the way a fair human judge would.

Every answer is first *normalised*: full-width forms folded (NFKC), letters lower-cased, whitespace and
punctuation dropped (so a trailing 。, quotes, 《》 and spaces do not matter). Several blanks are answered in
order, separated by spaces, commas (，,), 、, ; or / — or run together; the blank count is len(question.blanks).
Any of a blank's accepted alternatives counts. Then, by the question's strictness (None, or anything unknown,
means normal):

exact
    Nothing beyond normalisation: the answer must be an accepted alternative of each blank, in order.

normal (the fair judge)
    Also:
    * Chinese numerals and digits are the same: 二〇二〇年 = 2020年, 十九大 = 19大, 二十二 = 22, 一百年 = 100年
      (quizzes.numerals; numbered set phrases such as 两个维护 or 四个全面 are names and are compared as written);
    * words of the question next to the blank may be repeated: 遵义会议 for 「（）会议」, 第三次 for 「第（）次」,
      坚持四项基本原则 for 「坚持（）」 — whole words, up to four on each side, within the clause (中共, 党的 and
      中国共产党 stand for one another there);
    * 和, 与 and 及 are the same conjunction (批评与自我批评 = 批评和自我批评);
    * a leading 答：/答案是 is ignored, and so are blank numbers in a several-blank answer (1. 2. / ① ② / 第一空：).
    Rejected: a different key word (提高数量 for 提高质量), a fragment (质量), the answer buried in other words
    (我觉得是提高质量吧, 提高质量和数量), the right words in the wrong blank (blanks swapped), a typo (实是求是),
    a missing or extra particle (党纪律 for 党的纪律).

lenient (a kind judge)
    Also one small slip per blank, never a different key word:
    * particles: 的/之/地/得/了/和/与/及 missing or extra where they stand as words of their own (党纪律 for 党的纪律,
      党员的权利 for 党员权利) — never a character inside a word (目的 is not 目 + 的);
    * one typo in an answer of 4 or more characters: one wrong character, one missing character (not the first or
      the last: that is a fragment) or one extra character inside a word — provided the key word it falls in
      becomes nonsense, not another word. "Another word" is: a word of the dictionary used 10 times or more in
      jieba's corpus (rarer entries such as 实是 are typos), any bank answer, a word of the question itself
      (立党为公 → 执政为公 is wrong), or a run of real words (全面从宽治党 reads 全面/从宽/治党). So
      全新全意为人民服务, 实是求是, 提高质亮 and 全面从言治党 pass; 提高数量, 全面从宽治党 and 执政为公 do not. A
      one-character key word, a digit or a Latin letter never slips, and an extra character between two words is
      an extra word, not a typo;
    * the digits of a numbered set phrase: 4个全面 for 四个全面, 2个维护 for 两个维护.

A rejection says why, in Chinese: 缺少关键词「质量」, 答案中有多余内容, 应为「…」 (words in the wrong order),
第 2 空应为「…」, 第 1 空和第 2 空填反了. Key words are the dictionary words of the accepted answer (jieba, through
quizzes.segmenter, with the bank's answers added as words), particles left out.

Speed: everything that depends on the question only (normalised alternatives, the variants with stem words, key
words, word spans) is computed once per question and cached by its key and answers; accepting an answer is a set
lookup on its normalised text. jieba runs at grading time only in lenient mode, to check a slip."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from quizzes import segmenter
from quizzes.model import Question, QuestionType
from quizzes.numerals import SET_PHRASES, looks_like_set_phrase, to_digits

__all__ = ["STRICTNESS_LEVELS", "DEFAULT_STRICTNESS", "PARTICLES", "judge_blank", "prepare", "normalize", "canonical",
           "strictness_of", "INVALID_BLANK"]

STRICTNESS_LEVELS = ("exact", "normal", "lenient")
DEFAULT_STRICTNESS = "normal"
PARTICLES = frozenset("的之地得了和与及")
INVALID_BLANK = "不是有效的答案：请直接回复所填的内容"

_NOISE = re.compile(r"[\W_]+")
_SEPARATORS = re.compile(r"[\s,、;/|]+")  # after NFKC: ，→ , and ；→ ;
_SPACES = re.compile(r"\s+")
_MARKER = re.compile(r"^(?:答案\s*(?:是|为)?\s*[:：]?|答\s*[:：])\s*")
_PLACEHOLDER = re.compile(r"\(\s*\)|《\s*》|_{2,}")  # （）() and 《》 after NFKC, ____
_PUNCT = re.compile(r"[^\w\s]")
_QUOTES = re.compile(r"[\"'“”‘’「」『』《》]")  # inside a clause: “（）”战略 still reads 一带一路战略
_NEGATIONS = frozenset("不非无未")
# 和/与/及 join the same things: 批评与自我批评 = 批评和自我批评 (both sides folded alike, so 参与 is unharmed)
_CONJUNCTIONS = str.maketrans("与及", "和和")
# Blank numbers people put before their answers: 1. 2、 ① (1) 第一空：
_ENUMERATOR = re.compile(r"(?:(?:^|(?<=[\s,，、;；]))\s*(?:第[一二三四五1-5]空\s*[:：]?|[（(]?[1-5][)）.．、:：])|[①-⑤])"
                         r"\s*(?=[^\d\s])")
_ECHO_WORDS = 4
_SAME_ECHO = ({"中共", "党的", "中国共产党"},)
_CACHE_LIMIT = 50_000
_RARE_WORD = 10  # dictionary count below which a word is taken for a typo (see _real_word)


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def normalize(text: str) -> str:
    """The exact-mode form: full-width folded, lower case, no whitespace or punctuation."""
    return _NOISE.sub("", fold(text))


def canonical(text: str, keep: frozenset[str] = SET_PHRASES) -> str:
    """The normal-mode form of folded text: no whitespace or punctuation, numerals in digits, 与/及 as 和."""
    return to_digits(_NOISE.sub("", text), keep).translate(_CONJUNCTIONS)


def strictness_of(question: Question) -> str:
    level = question.strictness
    return level if level in STRICTNESS_LEVELS else DEFAULT_STRICTNESS


# ---------------------------------------------------------------- what is computed once per question


@dataclass(slots=True)
class _Alt:
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
class _Blank:
    alts: list[_Alt]
    exact: frozenset[str]
    exact_lengths: tuple[int, ...]
    left_clause: str
    right_clause: str
    lefts: tuple[str, ...] = ("",)
    rights: tuple[str, ...] = ("",)
    accept: frozenset[str] = frozenset()
    lengths: tuple[int, ...] = ()


@dataclass(slots=True)
class _Prepared:
    blanks: list[_Blank]
    keep: frozenset[str]  # set phrases kept as written by the numeral conversion
    stem: str  # the question, canonical: a "typo" that makes one of its words is no typo (立党为公 → 执政为公)
    words_ready: bool = False
    words: list[str] = field(default_factory=list)


_cache: dict[tuple[str, tuple[tuple[str, ...], ...]], _Prepared] = {}


def _prepared(question: Question) -> _Prepared:
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


def _build(question: Question) -> _Prepared:
    blanks_raw = [_alternatives(alts) for alts in question.blanks] or [[question.answer]]
    keep = SET_PHRASES | {normalize(a) for alts in blanks_raw for a in alts if looks_like_set_phrase(normalize(a))}
    contexts = _stem_contexts(question.text, len(blanks_raw))
    blanks: list[_Blank] = []
    words: list[str] = []
    for alts_raw, (left, right) in zip(blanks_raw, contexts):
        alts = []
        for display in alts_raw:
            norm = normalize(display)
            canon = canonical(fold(display).strip(), keep)
            alts.append(_Alt(display, norm, canon))
            words += [w for w in dict.fromkeys((norm, canon)) if w and not w.isascii()]
        exact = frozenset(a.norm for a in alts)
        blanks.append(_Blank(alts, exact, tuple(sorted({len(x) for x in exact})), left, right))
    return _Prepared(blanks, keep, canonical(fold(question.text), keep), words=words)


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


def _ensure_words(prep: _Prepared) -> None:
    """The parts that need the dictionary: user words, echo variants, key words."""
    if prep.words_ready:
        return
    with segmenter.words_added(prep.words):
        _segment(prep)
    prep.words_ready = True


def _segment(prep: _Prepared) -> None:
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


def _keywords(alt: _Alt, keep: frozenset[str]) -> tuple[tuple[str, str], ...]:
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


def prepare(questions: Iterable[Question]) -> int:
    """Precompute each 填空 question of a bank (its answers are dictionary words while it is
    segmented); returns how many were prepared. Optional: grading prepares a question on first use."""
    preps = [_prepared(q) for q in questions if q.type is QuestionType.BLANK]
    for prep in preps:
        _ensure_words(prep)
    return len(preps)


# ---------------------------------------------------------------- grading


@dataclass(slots=True)
class _Typed:
    parts: list[str]  # per separator, canonical
    canon: str
    raw_parts: list[str]  # per separator, folded, before numeral conversion


def _read(answer: str, prep: _Prepared) -> _Typed:
    if len(prep.blanks) == 1:  # one blank: nothing separates anything (十九 大, 三中全、会)
        text = _MARKER.sub("", fold(answer).strip())
        raw_parts = [text] if _NOISE.sub("", text) else []
    else:
        text = fold(_ENUMERATOR.sub(" ", _MARKER.sub("", answer.strip())))  # before NFKC, which makes ① a 1
        raw_parts = [p for p in _SEPARATORS.split(text) if _NOISE.sub("", p)]
    parts = [canonical(p, prep.keep) for p in raw_parts]
    return _Typed(parts, "".join(parts), raw_parts)


def _fits(text: str, sets: list[frozenset[str]], lengths: list[tuple[int, ...]]) -> bool:
    """Whether `text` is blank 1's answer followed by blank 2's … with nothing else."""
    reach = {0}
    for accepted, sizes in zip(sets, lengths):
        reach = {i + n for i in reach for n in sizes if text[i:i + n] in accepted}
        if not reach:
            return False
    return len(text) in reach


def judge_blank(question: Question, answer: str) -> tuple[bool, str]:
    """(correct, reason) for an answer already read; the reason is "" when it is correct."""
    prep = _prepared(question)
    level = strictness_of(question)
    blanks = prep.blanks
    if level == "exact":
        norm = _NOISE.sub("", fold(answer))
        if not norm:
            return False, _invalid(len(blanks))
        if len(blanks) == 1:
            if norm in blanks[0].exact:
                return True, ""
        elif _fits(norm, [b.exact for b in blanks], [b.exact_lengths for b in blanks]):
            return True, ""
        _ensure_words(prep)
        parts = [p for p in (_NOISE.sub("", x) for x in _SEPARATORS.split(fold(answer))) if p]
        with segmenter.words_added(prep.words):
            return False, _explain(prep, parts, norm, exact=True)

    typed = _read(answer, prep)
    if not typed.canon:
        return False, _invalid(len(blanks))
    _ensure_words(prep)
    if len(blanks) == 1:
        if typed.canon in blanks[0].accept:
            return True, ""
    elif _fits(typed.canon, [b.accept for b in blanks], [b.lengths for b in blanks]):
        return True, ""
    with segmenter.words_added(prep.words):
        if level == "lenient" and _lenient(prep, typed):
            return True, ""
        return False, _explain(prep, typed.parts, typed.canon, exact=False)


def _invalid(blank_count: int) -> str:
    return INVALID_BLANK + ("，几个空之间用空格或顿号隔开" if blank_count > 1 else "")


# ---------------------------------------------------------------- lenient


def _lenient(prep: _Prepared, typed: _Typed) -> bool:
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


def _cores(text: str, blank: _Blank) -> list[str]:
    """`text` without words repeated from the stem around the blank (each way of taking them off)."""
    cores = []
    for left in blank.lefts:
        if text.startswith(left):
            for right in blank.rights:
                if len(left) + len(right) < len(text) and text.endswith(right):
                    cores.append(text[len(left):len(text) - len(right)])
    return cores


def _lenient_blank(blank: _Blank, canon: str, raw: str, stem: str, words: frozenset[str]) -> bool:
    cores = _cores(canon, blank)
    for core in cores:
        for alt in blank.alts:
            if _particles_only(core, alt) or _one_slip(core, alt.canon, alt.spans, stem, words):
                return True
    full = canonical(raw, frozenset())  # set phrases in digits too: 4个全面, 2个维户
    return any(core == alt.full or (alt.full != alt.canon and _one_slip(core, alt.full, alt.full_spans, stem, words))
               for core in _cores(full, blank) for alt in blank.alts)


def _particles_only(core: str, alt: _Alt) -> bool:
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


# ---------------------------------------------------------------- why an answer is wrong


def _explain(prep: _Prepared, parts: list[str], whole: str, *, exact: bool) -> str:
    blanks = prep.blanks
    if len(blanks) == 1:
        return _explain_blank(blanks[0], whole, exact)
    sets = [b.exact if exact else b.accept for b in blanks]
    if len(parts) == len(blanks):
        for k, (part, accepted) in enumerate(zip(parts, sets)):
            if part in accepted:
                continue
            for j, other in enumerate(sets):
                if j != k and part in other:
                    first, second = sorted((k, j))
                    return f"第 {first + 1} 空和第 {second + 1} 空填反了"
            reason = _explain_blank(blanks[k], part, exact)
            if reason == _EXTRA:
                return f"第 {k + 1} 空有多余内容"
            return f"第 {k + 1} 空应为「{blanks[k].alts[0].display}」"
        return _EXTRA
    # run together, or not as many parts as blanks: look for each blank's answer after the previous one
    position = 0
    for k, blank in enumerate(blanks):
        hits = [(at, alt) for alt in blank.alts if (at := whole.find(_form(alt, exact), position)) >= 0]
        if not hits:
            if k and any(_form(alt, exact) in whole[:position] for alt in blank.alts):
                return f"第 {k} 空和第 {k + 1} 空填反了"  # found, but before the previous blank's answer
            return f"第 {k + 1} 空应为「{blank.alts[0].display}」"
        at, alt = min(hits, key=lambda hit: hit[0])
        position = at + len(_form(alt, exact))
    return _EXTRA  # every answer there, in order, with something else around them


_EXTRA = "答案中有多余内容"


def _form(alt: _Alt, exact: bool) -> str:
    return alt.norm if exact else alt.canon


def _explain_blank(blank: _Blank, text: str, exact: bool) -> str:
    if any(_form(alt, exact) in text for alt in blank.alts):
        return _EXTRA
    best: tuple[int, int, list[str], str, _Alt] | None = None
    for alt in blank.alts:
        missing, leftover = _coverage(text, alt, exact)
        score = (sum(len(m) for m in missing), len(leftover), missing, leftover, alt)
        if best is None or score[:2] < best[:2]:
            best = score
    if best is None:
        return _EXTRA
    _, _, missing, leftover, alt = best
    if missing:
        return "缺少关键词" + "".join(f"「{m}」" for m in missing[:3])
    if leftover:
        return _EXTRA
    return f"应为「{alt.display}」"


def _coverage(text: str, alt: _Alt, exact: bool) -> tuple[list[str], str]:
    """The key words of `alt` not found in `text`, and what is left of `text` once the found ones are taken out."""
    rest = text
    missing: set[int] = set()
    order = sorted(range(len(alt.keywords)), key=lambda n: -len(alt.keywords[n][1]))
    for n in order:
        shown, canon = alt.keywords[n]
        word = normalize(shown) if exact else canon
        at = rest.find(word)
        if at < 0:
            missing.add(n)
        else:
            rest = rest[:at] + "\x00" + rest[at + len(word):]
    leftover = "".join(ch for ch in rest if ch != "\x00" and ch not in PARTICLES)
    return [alt.keywords[n][0] for n in sorted(missing)], leftover
