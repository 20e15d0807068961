"""What the spreadsheet, JSON and YAML readers share: type words, text folding, answer reading,
type inference, blank splitting, the optional per-question fields, and duplicate removal.

Nothing here reads files or imports openpyxl; every problem message is Chinese, without the
row/entry number (the caller puts that in the BankProblem's location)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from quizzes.answers import parse_judge
from quizzes.model import LETTERS, Question, QuestionType

if TYPE_CHECKING:
    from quizzes.bank_yaml import BankProblem

__all__ = [
    "Parsed", "problem_at", "TYPE_WORDS", "INDEFINITE_WORDS", "STRICTNESS_WORDS", "Where", "RawQuestion", "Invalid",
    "parse_type_word", "fold", "clean_cell", "count_blank_slots", "split_options", "strip_option_prefixes",
    "split_blank_answer", "build_question", "parse_points", "parse_strictness", "parse_time_limit",
    "parse_topic", "parse_difficulty", "dedupe", "Duplicate",
]

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

STRICTNESS_WORDS = {
    "exact": "exact", "精确": "exact", "严格": "exact", "完全一致": "exact",
    "normal": "normal", "标准": "normal", "一般": "normal", "普通": "normal",
    "lenient": "lenient", "宽松": "lenient",
}
STRICTNESS_LABELS = {"exact": "精确", "normal": "标准", "lenient": "宽松"}

_TYPE_NOISE = re.compile(r"[\s_\-()\[\]【】<>《》·.。:：]+")


class Invalid(Exception):
    """One problem with one question (message in Chinese, no location)."""


@dataclass(frozen=True)
class Where:
    """Where a question sits in its file: a spreadsheet row (with its sheet when the workbook
    has several) or a 1-based entry number in a JSON/YAML question list."""

    row: int | None = None
    sheet: str = ""
    question_no: int | None = None

    def __str__(self) -> str:
        if self.row is not None:
            return (f"工作表「{self.sheet}」" if self.sheet else "") + f"第 {self.row} 行"
        if self.question_no is not None:
            return f"第 {self.question_no} 题"
        return "文件"


def problem_at(file: str, where: Where | None, message: str) -> BankProblem:
    from quizzes.bank_yaml import BankProblem  # bank_yaml imports this module

    if where is None:
        return BankProblem(file, message)
    return BankProblem(file, message, where.question_no, where.row, where.sheet)


@dataclass
class Parsed:
    """What a reader found in one file: each good question with where it sits, every problem, and
    the bank fields the file itself gives."""

    questions: list[tuple[Where, Question]] = field(default_factory=list)
    problems: list[BankProblem] = field(default_factory=list)
    name: str = ""
    description: str = ""
    time_limit: int | None = None
    entries: int = 0  # questions (rows, entries) read, good or bad, empty rows not counted


@dataclass
class RawQuestion:
    """One question as read from a row or entry, before it is checked."""

    where: Where
    type_word: str = ""
    text: str = ""
    options: list[str] = field(default_factory=list)
    answer: object = None  # str, list, bool or number, as the file gives it
    explanation: str = ""
    points: object = None
    difficulty: object = None
    topic: object = None
    strictness: object = None
    time_limit: object = None
    default_type: QuestionType | None = None  # e.g. from a sheet named 多选题
    default_strictness: str | None = None  # the bank's
    problems: list[str] = field(default_factory=list)  # found while reading (gaps in options …)


# ---------------------------------------------------------------- text


def fold(text: str) -> str:
    """Text for comparing: NFKC (full-width -> half-width), case folded, whitespace and punctuation dropped."""
    normalized = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in normalized if not ch.isspace() and not unicodedata.category(ch).startswith("P"))


def clean_cell(value: object) -> str:
    """A cell or JSON scalar as text: 5.0 read back as 5, surrounding (full-width) spaces dropped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip(" \t\r\n\u3000\ufeff\u200b\xa0")


def _type_key(word: str) -> str:
    return _TYPE_NOISE.sub("", unicodedata.normalize("NFKC", word).casefold())


def parse_type_word(word: str) -> tuple[QuestionType, bool] | None:
    """(type, indefinite) for a type word, or None when it is not one."""
    key = _type_key(word)
    key = re.sub(r"^[一二三四五六七八九十\d]+[、.]?", "", key) or key  # 一、单选题
    qtype = TYPE_WORDS.get(key)
    return None if qtype is None else (qtype, key in INDEFINITE_WORDS)


# A blank in a stem: （）, ( ), 《》 left empty, or a run of underscores.
_BLANK_SLOT = re.compile(r"[（(][\s\u3000]*[)）]|《[\s\u3000]*》|【[\s\u3000]*】|[_＿]{2,}")


def count_blank_slots(text: str) -> int:
    return len(_BLANK_SLOT.findall(text))


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
        matches = by_text.get(fold(part))
        if matches is None:
            return None
        if len(matches) > 1:
            raise Invalid(f"答案中的「{part.strip()}」与多个相同的选项（{'、'.join(matches)}）一致，请改写为选项字母")
        letters.append(matches[0])
    return "".join(sorted(set(letters))) or None


def _answer_text(answer: object) -> str:
    if isinstance(answer, (list, tuple)):
        return "|".join(clean_cell(a) for a in answer if clean_cell(a))
    if isinstance(answer, bool):
        return "对" if answer else "错"
    return clean_cell(answer)


def _is_empty_answer(answer: object) -> bool:
    if isinstance(answer, (list, tuple)):
        return not any(not _is_empty_answer(a) for a in answer)
    return not isinstance(answer, bool) and clean_cell(answer) == ""


def _judge_options(options: Sequence[str]) -> dict[str, str] | None:
    """{"A": "对", "B": "错"} when the options are a true/false pair (正确/错误, 对/错, √/×)."""
    if len(options) != 2:
        return None
    verdicts = [parse_judge(o) for o in options]
    if None in verdicts or verdicts[0] == verdicts[1]:
        return None
    return dict(zip(LETTERS, verdicts))


def _range(count: int) -> str:
    return f"A–{LETTERS[count - 1]}" if count > 1 else "A"


def _choice_answer(qtype: QuestionType, raw: str, options: Sequence[str], indefinite: bool) -> tuple[QuestionType, str]:
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


def _judge_answer(raw: object, options: Sequence[str]) -> str:
    if isinstance(raw, bool):
        return "对" if raw else "错"
    text = _answer_text(raw)
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


def split_blank_answer(raw: object, stem: str) -> list[list[str]]:
    """Each blank's accepted answers.
    Text: alternatives separated by |, empty alternatives dropped (`三|` -> 三); several blanks separated
    by ；/; or 、 only when the stem has exactly that many blanks (（）, ( ), 《》, ____) — otherwise
    、 belongs to the answer. A list: a list of lists is one list per blank; a flat list is one entry
    per blank when the stem has that many blanks (≥2), else the accepted answers of a single blank."""
    slots = count_blank_slots(stem)
    if isinstance(raw, (list, tuple)):
        items = [a for a in raw if not _is_empty_answer(a)]
        if items and all(isinstance(a, (list, tuple)) for a in items):
            blanks = [[alt for a in alts for alt in _alternatives(clean_cell(a))] for alts in items]
        elif len(items) >= 2 and len(items) == slots:
            blanks = [_alternatives(_answer_text(a)) for a in items]
        else:
            blanks = [[alt for a in items for alt in _alternatives(_answer_text(a))]]
    else:
        text = _answer_text(raw)
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


# ---------------------------------------------------------------- optional fields


def parse_points(value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise Invalid(f"分值「{value}」不是数字")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = re.sub(r"\s*分$", "", unicodedata.normalize("NFKC", str(value)).strip())
        try:
            number = float(text)
        except ValueError:
            raise Invalid(f"分值「{value}」不是数字") from None
    if not math.isfinite(number) or number < 0:
        raise Invalid(f"分值「{value}」应为不小于 0 的数字")
    return number


def parse_strictness(value: object) -> str | None:
    text = clean_cell(value)
    if not text:
        return None
    strictness = STRICTNESS_WORDS.get(unicodedata.normalize("NFKC", text).lower())
    if strictness is None:
        raise Invalid(f"判分方式「{text}」无法识别，应为 exact（精确）、normal（标准）或 lenient（宽松）")
    return strictness


def parse_time_limit(value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    seconds: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value
    elif isinstance(value, str):
        match = re.fullmatch(r"(\d+)\s*(?:秒|s|sec)?", unicodedata.normalize("NFKC", value).strip().lower())
        seconds = int(match.group(1)) if match else None
    if seconds is None or seconds != int(seconds) or not 5 <= seconds <= 600:
        raise Invalid(f"限时「{value}」应为 5 到 600 之间的整数（秒）")
    return int(seconds)


def parse_topic(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "、".join(clean_cell(v) for v in value if clean_cell(v))
    if isinstance(value, dict):
        raise Invalid("知识点应为文字或文字列表")
    return clean_cell(value)


def parse_difficulty(value: object) -> str:
    if isinstance(value, (list, tuple, dict)):
        raise Invalid("难度应为文字或数字")
    return clean_cell(value)


# ---------------------------------------------------------------- building


def _infer_type(options: Sequence[str], answer: object) -> QuestionType:
    if options:
        if _judge_options(options) is not None:
            return _Q.JUDGE
        text = _answer_text(answer)
        letters = _letters_in(text)
        if letters is None:
            letters = _letters_by_text(text, options)
        if letters is None:
            raise Invalid(f"未填题型，且答案「{text}」既不是选项字母也不是选项内容，无法判断题型：请填写题型")
        return _Q.SINGLE if len(letters) == 1 else _Q.MULTIPLE
    if isinstance(answer, bool) or parse_judge(_answer_text(answer)) is not None:
        return _Q.JUDGE
    if _letters_in(_answer_text(answer)) is not None:
        raise Invalid(f"未填题型，答案「{_answer_text(answer)}」像是选项字母，但本题没有选项：请补上选项，"
                      "或填写题型（填空题的答案若确实是字母，请把题型写为填空）")
    return _Q.BLANK


def build_question(raw: RawQuestion) -> tuple[Question | None, list[str]]:
    """The checked question, or None with every problem found in it."""
    problems = list(raw.problems)
    extra: dict[str, object] = {}
    for key, parse in (("points", parse_points), ("difficulty", parse_difficulty), ("topic", parse_topic),
                       ("strictness", parse_strictness), ("time_limit", parse_time_limit)):
        try:
            extra[key] = parse(getattr(raw, key))
        except Invalid as exc:
            problems.append(str(exc))
    if extra.get("strictness") is None:
        extra["strictness"] = raw.default_strictness

    text = raw.text.strip()
    if not text:
        problems.append("缺少题干")
    missing_answer = _is_empty_answer(raw.answer)
    if missing_answer:
        problems.append("缺少答案")
    options = [o.strip() for o in raw.options]
    gaps = [LETTERS[i] for i, option in enumerate(options[:len(LETTERS)]) if not option]
    if gaps:
        problems.append(f"选项{'、'.join(gaps)} 为空：选项应从 A 起连续填写，中间不能留空")
    if len(options) > len(LETTERS):
        problems.append(f"选项最多 {len(LETTERS)} 个（A–{LETTERS[-1]}），本题有 {len(options)} 个")
        options = options[:len(LETTERS)]

    qtype: QuestionType | None = None
    indefinite = False
    if raw.type_word.strip():
        parsed = parse_type_word(raw.type_word)
        if parsed is None:
            problems.append(f"题型「{raw.type_word.strip()}」无法识别，{TYPE_HINT}")
        else:
            qtype, indefinite = parsed
    elif raw.default_type is not None:
        qtype = raw.default_type
    elif not missing_answer:
        try:
            qtype = _infer_type(options, raw.answer)
        except Invalid as exc:
            problems.append(str(exc))
    if qtype is None or missing_answer:
        return None, problems

    answer_text = _answer_text(raw.answer)
    try:
        if qtype in (_Q.SINGLE, _Q.MULTIPLE):
            if len(options) < 2:
                raise Invalid(f"{'单选' if qtype is _Q.SINGLE else '多选'}题至少需要两个选项，本题有 {len(options)} 个")
            qtype, letters = _choice_answer(qtype, answer_text, options, indefinite)
            question = Question(qtype, text, letters, tuple(options), explanation=raw.explanation.strip(), **extra)
        elif qtype is _Q.JUDGE:
            verdict = _judge_answer(raw.answer, options)
            question = Question(qtype, text, verdict, explanation=raw.explanation.strip(), **extra)
        else:
            if options:
                raise Invalid(f"填空题不应有选项（本题填了 {len(options)} 个选项）：请删去选项，或把题型改为单选/多选")
            question = Question.blank(text, split_blank_answer(raw.answer, text),
                                      explanation=raw.explanation.strip(), **extra)
    except Invalid as exc:
        problems.append(str(exc))
        return None, problems
    return (None if problems else question), problems


# ---------------------------------------------------------------- duplicates


@dataclass(frozen=True)
class Duplicate:
    where: Where  # the repeat that was dropped
    kept: Where  # the first occurrence, kept


def _identity(question: Question) -> tuple:
    return question.type, fold(question.text), tuple(fold(o) for o in question.options)


def _same_answer(first: Question, second: Question) -> bool:
    if first.type is _Q.BLANK:
        if len(first.blanks) != len(second.blanks):
            return False
        # repeats that differ only in extra accepted alternatives are the same question
        return all({fold(a) for a in one} & {fold(a) for a in two} for one, two in zip(first.blanks, second.blanks))
    return first.answer == second.answer


def dedupe(entries: Iterable[tuple[Where, Question]]) -> tuple[list[tuple[Where, Question]], list[Duplicate],
                                                               list[tuple[Where, str]]]:
    """Drop exact repeats (same type, same stem and options after folding NFKC, case, whitespace and
    punctuation), keeping the first. A repeat whose answer contradicts the first is a problem, not a repeat."""
    kept: list[tuple[Where, Question]] = []
    first: dict[tuple, tuple[Where, Question]] = {}
    duplicates: list[Duplicate] = []
    conflicts: list[tuple[Where, str]] = []
    for where, question in entries:
        identity = _identity(question)
        earlier = first.get(identity)
        if earlier is None:
            first[identity] = (where, question)
            kept.append((where, question))
        elif _same_answer(earlier[1], question):
            duplicates.append(Duplicate(where, earlier[0]))
        else:
            conflicts.append((where, f"与{earlier[0]}是同一道题，但答案不同（{earlier[0]}为「{earlier[1].answer}」，"
                                     f"此处为「{question.answer}」）：请核对后删去错误的一处"))
    return kept, duplicates, conflicts
