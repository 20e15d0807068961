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
      (quizzes.grading.numerals; numbered set phrases such as 两个维护 or 四个全面 are names and are compared as
      written);
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
quizzes.grading.segmenter, with the bank's answers added as words), particles left out.

Speed: everything that depends on the question only (normalised alternatives, the variants with stem words, key
words, word spans) is computed once per question and cached by its key and answers; accepting an answer is a set
lookup on its normalised text. jieba runs at grading time only in lenient mode, to check a slip.

The parts, in quizzes.grading: normalize (the forms compared), prepared (what is computed once per question),
typed (the member's answer read into blanks), lenient (the lenient rules), explain (why an answer is wrong); this
module judges a typed answer."""

from __future__ import annotations

from collections.abc import Iterable

from quizzes.grading import segmenter
from quizzes.grading.explain import explain
from quizzes.grading.lenient import lenient
from quizzes.grading.normalize import NOISE, fold
from quizzes.grading.prepared import ensure_words, prepared
from quizzes.grading.typed import SEPARATORS, read_typed
from quizzes.model import Question, QuestionType

__all__ = ["STRICTNESS_LEVELS", "DEFAULT_STRICTNESS", "judge_blank", "prepare", "strictness_of", "INVALID_BLANK",
           "invalid_reason"]

STRICTNESS_LEVELS = ("exact", "normal", "lenient")
DEFAULT_STRICTNESS = "normal"
INVALID_BLANK = "不是有效的答案：请直接回复所填的内容"


def strictness_of(question: Question) -> str:
    level = question.strictness
    return level if level in STRICTNESS_LEVELS else DEFAULT_STRICTNESS


def prepare(questions: Iterable[Question]) -> int:
    """Precompute each 填空 question of a bank (its answers are dictionary words while it is
    segmented); returns how many were prepared. Optional: grading prepares a question on first use."""
    preps = [prepared(q) for q in questions if q.type is QuestionType.BLANK]
    for prep in preps:
        ensure_words(prep)
    return len(preps)


# ---------------------------------------------------------------- grading


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
    prep = prepared(question)
    level = strictness_of(question)
    blanks = prep.blanks
    if level == "exact":
        norm = NOISE.sub("", fold(answer))
        if not norm:
            return False, invalid_reason(len(blanks))
        if len(blanks) == 1:
            if norm in blanks[0].exact:
                return True, ""
        elif _fits(norm, [b.exact for b in blanks], [b.exact_lengths for b in blanks]):
            return True, ""
        ensure_words(prep)
        parts = [p for p in (NOISE.sub("", x) for x in SEPARATORS.split(fold(answer))) if p]
        with segmenter.words_added(prep.words):
            return False, explain(prep, parts, norm, exact=True)

    typed = read_typed(answer, prep)
    if not typed.canon:
        return False, invalid_reason(len(blanks))
    ensure_words(prep)
    if len(blanks) == 1:
        if typed.canon in blanks[0].accept:
            return True, ""
    elif _fits(typed.canon, [b.accept for b in blanks], [b.lengths for b in blanks]):
        return True, ""
    with segmenter.words_added(prep.words):
        if level == "lenient" and lenient(prep, typed):
            return True, ""
        return False, explain(prep, typed.parts, typed.canon, exact=False)


def invalid_reason(blank_count: int) -> str:
    """Why a text is no answer to a 填空 question with `blank_count` blanks, and how to answer."""
    return INVALID_BLANK + ("，几个空之间用空格或顿号隔开" if blank_count > 1 else "")
