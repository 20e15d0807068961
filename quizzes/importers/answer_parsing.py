"""Reading a question's type, options and answer, for the spreadsheet, JSON and YAML readers: type words,
option cells, choice and 判断 answers (letters, or the option's text), and the type inferred when none is
given. Problem messages are Chinese, without location (see quizzes.importers.common)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from quizzes.grading.answers import parse_judge
from quizzes.importers.common import Invalid, answer_as_text, fold
from quizzes.model import LETTERS, QuestionType

__all__ = ["TYPE_WORDS", "INDEFINITE_WORDS", "TYPE_HINT", "parse_type_word", "split_options", "strip_option_prefixes",
           "choice_answer", "judge_answer", "infer_type"]

_Q = QuestionType

# Type words as people write them, in folded form (see _type_key).
TYPE_WORDS: dict[str, QuestionType] = {
    **dict.fromkeys(["single", "singlechoice", "radio", "单选", "单选题", "单项选择", "单项选择题", "单项", "单择题"],
                    _Q.SINGLE),
    **dict.fromkeys(["multiple", "multi", "multiplechoice", "multichoice", "checkbox", "多选", "多选题", "多项选择",
                     "多项选择题", "多项", "不定项", "不定项选择", "不定项选择题"], _Q.MULTIPLE),
    **dict.fromkeys(["judge", "truefalse", "tf", "bool", "判断", "判断题", "是非题", "对错题"], _Q.JUDGE),
    **dict.fromkeys(["blank", "fill", "fillblank", "fillinblank", "fillintheblank", "填空", "填空题"], _Q.BLANK),
}
# 不定项选择 may legitimately have one correct option: such a question becomes 单选 instead of a problem.
INDEFINITE_WORDS = frozenset({"不定项", "不定项选择", "不定项选择题"})
TYPE_HINT = "应为单选、多选、判断或填空（也可写单选题、单项选择题、多选题、多项选择题、不定项选择、判断题、填空题）"

_TYPE_NOISE = re.compile(r"[\s_\-()\[\]【】<>《》·.。:：]+")


def _type_key(word: str) -> str:
    return _TYPE_NOISE.sub("", unicodedata.normalize("NFKC", word).casefold())


def parse_type_word(word: str) -> tuple[QuestionType, bool] | None:
    """(type, indefinite) for a type word, or None when it is not one."""
    key = _type_key(word)
    key = re.sub(r"^[一二三四五六七八九十\d]+[、.]?", "", key) or key  # 一、单选题
    qtype = TYPE_WORDS.get(key)
    return None if qtype is None else (qtype, key in INDEFINITE_WORDS)


# ---------------------------------------------------------------- options

_PREFIX = re.compile(r"^[(（]?([A-Za-zＡ-Ｚａ-ｚ])[)）]?\s*[.．、:：)）]\s*")
_INLINE_LABEL = re.compile(r"(?:^|(?<=\s))[(（]?([A-Ha-h])[)）]?\s*[.．、:：]")


def strip_option_prefixes(options: list[str]) -> list[str]:
    """Drop `A.`/`A、`/`A:`/`(A)` labels, but only when every option carries its own letter in order
    (so an option that merely starts with "A、B两项" is left alone)."""
    stripped = []
    for index, option in enumerate(options):
        match = _PREFIX.match(option)
        if not match or unicodedata.normalize("NFKC", match.group(1)).upper() != LETTERS[index:index + 1]:
            return options
        stripped.append(option[match.end():].strip())
    return stripped if all(stripped) else options


def split_options(text: str) -> list[str]:
    """One 选项 cell into options: one per line, or separated by | ; ；, or labelled inline `A.甲 B.乙`."""
    text = text.strip()
    if not text:
        return []
    for separator in ("\n", "|", "｜"):
        if separator in text:
            parts = text.split(separator)
            break
    else:
        if ";" in text or "；" in text:
            parts = re.split(r"[;；]", text)
        else:
            starts = [m for m in _INLINE_LABEL.finditer(text)]
            letters = "".join(m.group(1).upper() for m in starts)
            if len(starts) >= 2 and letters == LETTERS[:len(letters)] and starts[0].start() == 0:
                bounds = [m.start() for m in starts] + [len(text)]
                parts = [text[a:b] for a, b in zip(bounds, bounds[1:])]
            else:
                parts = [text]
    parts = [p.strip() for p in parts]
    while parts and not parts[-1]:
        parts.pop()
    return strip_option_prefixes([p for p in parts if p])


# ---------------------------------------------------------------- answers

_ANSWER_PREFIX = re.compile(r"^(?:正确答案|参考答案|标准答案|答案|选)\s*[:：]?\s*")
_LETTER_SEPARATORS = re.compile(r"[\s,，、;；/+.。|｜&]+")
_TEXT_SEPARATORS = re.compile(r"[、,，;；|｜\n]+")


def _letters_in(answer: str) -> str | None:
    """The letters of a letter answer ("A,c" -> "AC"), unchecked against the options; None when
    the answer is not made of letters A–H only."""
    cleaned = _ANSWER_PREFIX.sub("", unicodedata.normalize("NFKC", answer).strip())
    compact = _LETTER_SEPARATORS.sub("", cleaned).upper()
    if not compact or len(compact) > len(LETTERS) * 2 or not re.fullmatch(r"[A-H]+", compact):
        return None
    return "".join(sorted(set(compact)))


def _letters_by_text(answer: str, options: Sequence[str]) -> str | None:
    """An answer given as the option's text (or several texts separated by 、 ， ； |)."""
    by_text: dict[str, list[str]] = {}
    for letter, option in zip(LETTERS, options):
        key = fold(option)
        if key:
            by_text.setdefault(key, []).append(letter)
    whole = fold(answer)
    if whole in by_text:
        matches = by_text[whole]
        if len(matches) > 1:
            raise Invalid(f"答案「{answer}」与多个相同的选项（{'、'.join(matches)}）一致，请改写为选项字母")
        return matches[0]
    letters = []
    for part in _TEXT_SEPARATORS.split(answer):
        if not fold(part):
            continue
        found = by_text.get(fold(part))
        if found is None:
            return None
        if len(found) > 1:
            raise Invalid(f"答案中的「{part.strip()}」与多个相同的选项（{'、'.join(found)}）一致，请改写为选项字母")
        letters.append(found[0])
    return "".join(sorted(set(letters))) or None


def _judge_options(options: Sequence[str]) -> dict[str, str] | None:
    """{"A": "对", "B": "错"} when the options are a true/false pair (正确/错误, 对/错, √/×)."""
    if len(options) != 2:
        return None
    first, second = (parse_judge(o) for o in options)
    if first is None or second is None or first == second:
        return None
    return {"A": first, "B": second}


def _range(count: int) -> str:
    return f"A–{LETTERS[count - 1]}" if count > 1 else "A"


def choice_answer(qtype: QuestionType, raw: str, options: Sequence[str], indefinite: bool) -> tuple[QuestionType, str]:
    letters = _letters_in(raw)
    if letters is not None:
        beyond = [ch for ch in letters if LETTERS.index(ch) >= len(options)]
        if beyond:
            # the letters might still be an option's text ("B" as an option?) — practically never
            by_text = _letters_by_text(raw, options)
            if by_text is None:
                raise Invalid(f"答案「{raw}」超出选项范围：本题只有 {_range(len(options))} 共 {len(options)} 个选项")
            letters = by_text
    else:
        letters = _letters_by_text(raw, options)
        if letters is None:
            raise Invalid(f"答案「{raw}」既不是 {_range(len(options))} 的选项字母，也不是某个选项的内容")
    if qtype is _Q.SINGLE and len(letters) != 1:
        raise Invalid(f"单选题只能有一个答案，实为「{raw}」；若有多个正确选项，请把题型改为多选")
    if qtype is _Q.MULTIPLE and len(letters) < 2:
        if indefinite:
            return _Q.SINGLE, letters
        raise Invalid(f"多选题只有一个正确选项「{letters}」：请核对答案，或把题型改为单选")
    return qtype, letters


def judge_answer(raw: object, options: Sequence[str]) -> str:
    if isinstance(raw, bool):
        return "对" if raw else "错"
    text = answer_as_text(raw)
    by_letter = _judge_options(options)
    if options and by_letter is None:
        raise Invalid(f"判断题的选项应为「正确」「错误」（或「对」「错」），实为「{'」「'.join(options)}」")
    verdict = parse_judge(text)
    if verdict is None and by_letter:
        letters = _letters_in(text)
        if letters is not None and len(letters) == 1:
            verdict = by_letter.get(letters)
            if verdict is None:
                raise Invalid(f"答案「{text}」超出选项范围：本题只有 A–B 两个选项")
    if verdict is None:
        hint = "或选项字母 A/B" if by_letter else ""
        raise Invalid(f"判断题答案应为对/错（也可写正确/错误、√/×、T/F、是/否{hint}），实为「{text}」")
    return verdict


def infer_type(options: Sequence[str], answer: object) -> QuestionType:
    if options:
        if _judge_options(options) is not None:
            return _Q.JUDGE
        text = answer_as_text(answer)
        letters = _letters_in(text)
        if letters is None:
            letters = _letters_by_text(text, options)
        if letters is None:
            raise Invalid(f"未填题型，且答案「{text}」既不是选项字母也不是选项内容，无法判断题型：请填写题型")
        return _Q.SINGLE if len(letters) == 1 else _Q.MULTIPLE
    if isinstance(answer, bool) or parse_judge(answer_as_text(answer)) is not None:
        return _Q.JUDGE
    if _letters_in(answer_as_text(answer)) is not None:
        raise Invalid(f"未填题型，答案「{answer_as_text(answer)}」像是选项字母，但本题没有选项：请补上选项，"
                      "或填写题型（填空题的答案若确实是字母，请把题型写为填空）")
    return _Q.BLANK
