"""Reading answers the way members type them on a phone."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["parse_choice", "parse_judge", "normalize_text", "looks_like_answer"]

_JUDGE_TRUE = {"对", "正确", "√", "✓", "✔", "是", "t", "true", "y", "yes", "v"}
_JUDGE_FALSE = {"错", "错误", "×", "✗", "✘", "x", "否", "不对", "不是", "不正确", "错了", "f", "false", "n", "no"}
# 「对的」「是的」「不对啊」: a particle people add in speech; the judgement is what it follows. Not 了, 吧 or 呢:
# 「对了」 opens another topic, 「对吧」「不是吧」 ask or exclaim
_PARTICLES = "的啊呀哦"
# Separators people put between letters: commas, 顿号, spaces, slashes, plus signs.
_LETTER_SEPARATORS = re.compile(r"[\s,，、;；/+.。]+")
_ANSWER_PREFIX = re.compile(r"^(?:答案?|选|我选)\s*[:：]?\s*")


def normalize_text(text: str) -> str:
    """NFKC folds full-width letters and digits (Ａ -> A, １ -> 1)."""
    return unicodedata.normalize("NFKC", text).strip()


def parse_choice(text: str, option_count: int) -> str | None:
    """Letters in canonical order ("AC"), or None when the text is not a choice answer."""
    if text.isascii() and text.isalpha():  # 「A」「bd」: most answers, read without the cleaning below
        letters = text.upper()
    else:
        cleaned = _ANSWER_PREFIX.sub("", normalize_text(text)).upper()
        letters = _LETTER_SEPARATORS.sub("", cleaned)
    if not letters or len(letters) > option_count:
        return None
    valid = "ABCDEFGH"[:option_count]
    if any(ch not in valid for ch in letters) or len(set(letters)) != len(letters):
        return None
    return "".join(sorted(letters))


def parse_judge(text: str) -> str | None:
    """"对" or "错", or None when the text is not a true/false answer."""
    cleaned = _ANSWER_PREFIX.sub("", normalize_text(text)).lower().rstrip("。.!！~～")
    if cleaned not in _JUDGE_TRUE | _JUDGE_FALSE:
        cleaned = cleaned.rstrip(_PARTICLES + "。.!！~～")
    if cleaned in _JUDGE_TRUE:
        return "对"
    if cleaned in _JUDGE_FALSE:
        return "错"
    return None


_ATTEMPT = re.compile(r"^(?:答案?|选|我选)?\s*[:：]?\s*[A-Za-z](?:[\s,，、/+]*[A-Za-z]){0,7}$")


def looks_like_answer(text: str) -> bool:
    """Short letter strings and true/false words: an attempt at answering, even if
    not valid for the open question (so the member is told, not ignored)."""
    cleaned = normalize_text(text)
    return bool(_ATTEMPT.match(cleaned)) or parse_judge(cleaned) is not None


# Group chatter that is plainly not an answer to a 填空 question: acknowledgements, laughter, cheering.
_CHATTER = re.compile(r"收到|好的|哈哈|呵呵|加油|想想|稍等|等等|厉害|点赞|谢谢|辛苦|大家|同志们|这题|太难|好难")
ANSWER_PREFIX = re.compile(r"^\s*(?:答案?|我的答案)\s*[:：是]\s*")


def looks_like_chatter(text: str, longest_answer: int) -> bool:
    """A group message during a 填空 question that a person would not take as an answer:
    an acknowledgement or cheer, or far longer than any accepted answer.
    A message that starts with 答： is always an answer."""
    if ANSWER_PREFIX.match(text):
        return False
    cleaned = normalize_text(text)
    return bool(_CHATTER.search(cleaned)) or len(cleaned) > max(3 * longest_answer, longest_answer + 12)
