"""Question banks in JSON, in the shapes found in the wild.

Top level:
  * a list of question objects;
  * an object with a question list under `questions` (or 题目, data, items, list) and optionally
    `name` (题库名), `description`, `time_limit`, `strictness` (the default for its questions);
  * the flat shape {"题干|选项1|选项2": "正确选项的文字", ...}: each key is the stem followed by the
    options, separated by |, each value the correct option's text (or letters); without options the
    entry is 判断 when the value is a true/false word (对/错/正确/错误 …), else 填空.

A question object (keys in English or Chinese, any case; entry numbers are 1-based positions):
  type/题型 (optional: inferred from options and answer), question/stem/title/content/题干/题目,
  options/choices/选项 as a list of {key, text} (also label/value/content), a mapping {"A": "…"},
  a list of strings, or one string split like a spreadsheet 选项 cell; answer/答案/正确答案 as letters
  ("AC", "A,C", ["A", "C"]), the option's text, true/false, or for 填空 text with | between
  alternatives / a list; when there is no answer, options flagged correct/isCorrect give it.
  explanation/analysis/解析, source/出处/来源/依据, points/score/分值 (a list of words under `points` — as in the public
  党史 bank — is 知识点), difficulty/难度, topic/tags/知识点, strictness, time_limit.
Other keys (id, pdfId, errorRate …) are ignored.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from quizzes.importers.answer_parsing import split_options, strip_option_prefixes
from quizzes.importers.build import build_question
from quizzes.importers.common import Invalid, Parsed, RawQuestion, Where, clean_cell, problem_at
from quizzes.importers.optional_fields import parse_strictness, parse_time_limit
from quizzes.model import LETTERS
from safeio.jsonfile import check_nesting
from safeio.limits import DEFAULT_LIMITS, Limits
from safeio.text import read_text

__all__ = ["read_json", "KEY_ALIASES"]

KEY_ALIASES: dict[str, str] = {
    **dict.fromkeys(["type", "qtype", "questiontype", "kind", "题型", "类型"], "type"),
    **dict.fromkeys(["question", "stem", "title", "content", "questiontext", "题干", "题目", "试题", "问题"], "text"),
    **dict.fromkeys(["options", "choices", "option", "items", "选项"], "options"),
    **dict.fromkeys(["answer", "answers", "correctanswer", "rightanswer", "correct", "答案", "正确答案",
                     "参考答案", "标准答案"], "answer"),
    **dict.fromkeys(["explanation", "analysis", "explain", "解析", "答案解析"], "explanation"),
    **dict.fromkeys(["source", "reference", "出处", "来源", "依据"], "source"),
    **dict.fromkeys(["points", "score", "分值", "分数"], "points"),
    **dict.fromkeys(["difficulty", "level", "难度"], "difficulty"),
    **dict.fromkeys(["topic", "topics", "tags", "knowledge", "knowledgepoint", "knowledgepoints", "category",
                     "知识点", "考点"], "topic"),
    **dict.fromkeys(["strictness", "判分", "判分方式"], "strictness"),
    **dict.fromkeys(["timelimit", "限时"], "time_limit"),
}
_LIST_KEYS = ("questions", "题目", "试题", "data", "items", "list")
_NAME_KEYS = ("name", "题库名", "题库名称", "题库")
_OPTION_KEY = ("key", "label", "letter", "id", "选项")
_OPTION_TEXT = ("text", "value", "content", "option", "label", "内容")
_OPTION_CORRECT = ("correct", "iscorrect", "right", "isright", "answer", "正确")


def _key(name: object) -> str:
    return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", str(name)).lower())


_PRIORITY = {alias: rank for rank, alias in enumerate(KEY_ALIASES)}


def _fields(entry: dict[str, object]) -> dict[str, object]:
    """The entry's values by canonical field; of several aliases the one listed first above wins
    (`question` over `title`), whatever their order in the entry."""
    found: dict[str, tuple[int, object]] = {}
    for name, value in entry.items():
        key = _key(name)
        field = KEY_ALIASES.get(key)
        if field is not None and (field not in found or _PRIORITY[key] < found[field][0]):
            found[field] = (_PRIORITY[key], value)
    return {field: value for field, (_, value) in found.items()}


def _letter(value: object) -> str | None:
    text = unicodedata.normalize("NFKC", clean_cell(value)).upper().rstrip(".、:：")
    return text if len(text) == 1 and text in LETTERS else None


def _options(value: object) -> tuple[list[str], str | None]:
    """The options in letter order, and the letters flagged correct (None when no flags)."""
    if value is None or value == "" or value == [] or value == {}:
        return [], None
    if isinstance(value, str):
        return split_options(value), None
    lettered: dict[str, str] = {}
    if isinstance(value, dict):
        for name, text in value.items():
            letter = _letter(name)
            if letter is None:
                raise Invalid(f"选项的键应为字母 A、B、C…，实为「{name}」")
            lettered[letter] = clean_cell(text)
        return _in_letter_order(lettered), None
    if not isinstance(value, list):
        raise Invalid("选项应为列表（[{key, text}] 或文字列表）或 A→文字 的映射")
    if not any(isinstance(item, dict) for item in value):
        return strip_option_prefixes([clean_cell(item) for item in value]), None
    texts: list[str] = []
    flagged: list[str] = []
    has_flags = False
    for position, item in enumerate(value):
        if not isinstance(item, dict):
            raise Invalid(f"第 {position + 1} 个选项应为 {{key, text}} 对象，实为「{item}」")
        lowered = {_key(k): v for k, v in item.items()}
        letter_key = next((k for k in _OPTION_KEY if k in lowered and _letter(lowered[k])), None)
        letter = _letter(lowered[letter_key]) if letter_key else None
        text_key = next((k for k in _OPTION_TEXT if k in lowered and k != letter_key), None)
        text = clean_cell(lowered[text_key]) if text_key else ""
        if letter is not None:
            if letter in lettered:
                raise Invalid(f"选项字母「{letter}」出现了两次")
            lettered[letter] = text
        texts.append(text)
        flag_key = next((k for k in _OPTION_CORRECT if k in lowered), None)
        if flag_key is not None:
            has_flags = True
            flag = lowered[flag_key]
            if flag is True or clean_cell(flag).lower() in ("1", "true", "是", "对", "yes", "y"):
                flagged.append(letter or (LETTERS[position] if position < len(LETTERS) else "?"))
    options = _in_letter_order(lettered) if len(lettered) == len(value) else texts
    if lettered and len(lettered) != len(value):
        raise Invalid("部分选项有字母（key）、部分没有，请统一")
    return options, ("".join(sorted(flagged)) if has_flags else None)


def _in_letter_order(lettered: dict[str, str]) -> list[str]:
    letters = "".join(sorted(lettered))
    if letters != LETTERS[:len(letters)]:
        raise Invalid(f"选项字母应从 A 起连续，实为「{'、'.join(letters)}」")
    return [lettered[letter] for letter in letters]


def _entry(where: Where, entry: object, default_strictness: str | None) -> RawQuestion:
    raw = RawQuestion(where, default_strictness=default_strictness)
    if not isinstance(entry, dict):
        raw.problems.append("每道题应是一个对象，包含 type（题型）、question（题干）、options（选项）、answer（答案）")
        return raw
    fields = _fields(entry)
    raw.type_word = clean_cell(fields.get("type"))
    raw.text = clean_cell(fields.get("text")) if not isinstance(fields.get("text"), (list, dict)) else ""
    explanation = fields.get("explanation")
    raw.explanation = clean_cell(explanation) if not isinstance(explanation, (list, dict)) else ""
    source = fields.get("source")
    raw.source = clean_cell(source) if not isinstance(source, (list, dict)) else ""
    raw.difficulty, raw.strictness, raw.time_limit = (fields.get(k) for k in ("difficulty", "strictness", "time_limit"))
    raw.topic = fields.get("topic")
    points = fields.get("points")
    if isinstance(points, list) and raw.topic is None:
        raw.topic = points  # the public 党史 bank's `points` are its 知识点
    else:
        raw.points = points
    raw.answer = fields.get("answer")
    try:
        raw.options, flagged = _options(fields.get("options"))
    except Invalid as exc:
        raw.problems.append(str(exc))
        flagged = None
    if (raw.answer is None or raw.answer == "" or raw.answer == []) and flagged and "?" not in flagged:
        raw.answer = flagged
    return raw


def _flat(data: dict[str, object], file: str, default_strictness: str | None) -> list[RawQuestion]:
    raws = []
    for number, (key, value) in enumerate(data.items(), start=1):
        stem, *options = [part.strip() for part in re.split(r"[|｜]", str(key))]
        raws.append(RawQuestion(Where(question_no=number), text=stem, options=strip_option_prefixes(options),
                                answer=value, default_strictness=default_strictness))
    return raws


_JSON_ERRORS = {
    "Expecting value": "此处缺少值（或多了一个逗号）",
    "Expecting property name enclosed in double quotes": "键名应使用英文双引号（或多了一个逗号）",
    "Expecting ',' delimiter": "缺少英文逗号",
    "Expecting ':' delimiter": "缺少英文冒号",
    "Unterminated string starting at": "字符串缺少结束的英文双引号",
    "Invalid control character at": "字符串中有未转义的换行或控制字符",
    "Invalid \\escape": "无效的反斜杠转义",
    "Extra data": "数据结束后还有多余的内容",
    "Illegal trailing comma before end of object": "对象末尾多了一个逗号",
    "Illegal trailing comma before end of array": "列表末尾多了一个逗号",
}


def _json_error(message: str) -> str:
    return next((chinese for english, chinese in _JSON_ERRORS.items() if message.startswith(english)), "格式不正确")


def read_json(path: Path, file: str, limits: Limits = DEFAULT_LIMITS) -> Parsed:
    """Refused (from safeio) for a file over the limits, in no encoding we read, or nested too deep."""
    text = read_text(path, limits, gbk=True)
    check_nesting(text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Parsed(problems=[problem_at(file, None, f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列，"
                                                       f"{_json_error(exc.msg)}")])

    parsed = Parsed()
    strictness = None
    entries: list[object] | None = None
    raws: list[RawQuestion]
    if isinstance(data, list):
        entries = data
    elif isinstance(data, dict):
        lowered = {_key(k): k for k in data}
        list_key = next((lowered[k] for k in _LIST_KEYS if k in lowered and isinstance(data[lowered[k]], list)), None)
        if list_key is not None:
            entries = data[list_key]
            name_key = next((lowered[k] for k in _NAME_KEYS if k in lowered), None)
            parsed.name = clean_cell(data[name_key]) if name_key and isinstance(data[name_key], str) else ""
            description = data.get(lowered.get("description", ""), "")
            parsed.description = clean_cell(description) if isinstance(description, str) else ""
            try:
                parsed.time_limit = parse_time_limit(data.get(lowered.get("timelimit", "")))
                strictness = parse_strictness(data.get(lowered.get("strictness", "")))
            except Invalid as exc:
                parsed.problems.append(problem_at(file, None, f"题库设置有误：{exc}"))
        elif _fields(data).keys() & {"text", "answer"} or not data:
            parsed.problems.append(problem_at(file, None, "JSON 顶层应为题目列表，或包含 questions 列表的对象"
                                                          "（或「题干|选项…」→ 答案 的映射）"))
            return parsed
        elif all(isinstance(v, (str, int, float, bool, list)) for v in data.values()):
            raws = _flat(data, file, strictness)
        else:
            parsed.problems.append(problem_at(file, None, "JSON 顶层对象中找不到题目列表（questions）"))
            return parsed
    else:
        parsed.problems.append(problem_at(file, None, "JSON 顶层应为题目列表，或包含 questions 列表的对象"))
        return parsed
    if entries is not None:
        raws = [_entry(Where(question_no=number), entry, strictness) for number, entry in enumerate(entries, start=1)]
    parsed.entries = len(raws)
    if not raws:
        parsed.problems.append(problem_at(file, None, "题库中没有题目"))
    for raw in raws:
        question, problems = build_question(raw)
        parsed.problems.extend(problem_at(file, raw.where, message) for message in problems)
        if question is not None:
            parsed.questions.append((raw.where, question))
    return parsed
