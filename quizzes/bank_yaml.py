"""Loading question banks from YAML files, with problems reported by file and question number.

Per question: type, question, options (choice), answer, explanation, time_limit, and optionally
source (出处: the document and article the answer rests on), strictness (exact | normal | lenient; absent: the
bank's `strictness`), points (分值), difficulty (难度) and topic (知识点).
Other formats (.json, .xlsx, .csv) are read by quizzes.bank_io.read_bank."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from quizzes.grading.answers import parse_choice, parse_judge
from quizzes.importers.answer_parsing import parse_type_word
from quizzes.importers.common import BankProblem, Invalid, unsafe_text
from quizzes.importers.optional_fields import parse_difficulty, parse_points, parse_strictness, parse_topic
from quizzes.model import LETTERS, Bank, Question, QuestionFields, QuestionType
from safeio.limits import DEFAULT_LIMITS, Limits, Refused
from safeio.names import name_problem
from safeio.oserrors import os_reason
from safeio.text import plain_text
from safeio.yamlfile import read_yaml

__all__ = ["BankProblem", "load_bank_file", "load_banks", "BUNDLED_BANK_DIR"]

BUNDLED_BANK_DIR = Path(__file__).parent / "banks"
# listed first among the bundled banks: the first bank is what 开始竞赛 asks from when quizzes.default_bank is unset,
# and that stays the basic 党建基础知识 however many banks are bundled beside it (2024-2025.yaml sorts before it)
BUNDLED_FIRST = "sample.yaml"


_Invalid = Invalid  # one question's problem; shared with the spreadsheet and JSON readers


def _text(entry: Mapping[object, object], key: str, *, required: bool = True) -> str:
    value = entry.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _Invalid(f"缺少 {key}")
        return ""
    if isinstance(value, bool) or isinstance(value, (list, dict)):
        raise _Invalid(f"{key} 应为文字")
    return plain_text(str(value)).strip()


def _extras(entry: Mapping[object, object], explanation: str, limit: int | None,
            default_strictness: str | None) -> QuestionFields:
    """The optional per-question fields: explanation and time limit (read already), source, strictness (the bank's
    when absent), points, difficulty, topic."""
    strictness = parse_strictness(entry.get("strictness")) or default_strictness
    return QuestionFields(explanation=explanation, time_limit=limit, strictness=strictness,
                          points=parse_points(entry.get("points")), source=_text(entry, "source", required=False),
                          difficulty=parse_difficulty(entry.get("difficulty")), topic=parse_topic(entry.get("topic")))


_QUESTION_KEYS = {"type", "question", "options", "answer", "explanation", "source", "time_limit", "strictness",
                  "points", "difficulty", "topic"}
_BANK_KEYS = {"name", "description", "time_limit", "strictness", "questions", "reviewed"}


def _unknown(keys: object, known: set[str]) -> str | None:
    """A misspelt key (explaination) would silently drop what it holds: name it instead."""
    extra = sorted(str(k) for k in keys if k not in known) if isinstance(keys, dict) else []
    return f"不认识的字段「{'」「'.join(extra)}」（拼写错误？可用：{'、'.join(sorted(known))}）" if extra else None


def _question(entry: object, default_limit: int | None, default_strictness: str | None = None) -> Question:
    if not isinstance(entry, dict):
        raise _Invalid("每道题应是一个包含 type、question、answer 的条目")
    if unsafe := unsafe_text((str(key), value) for key, value in entry.items()):
        raise _Invalid(unsafe[0])
    if unknown := _unknown(entry, _QUESTION_KEYS):
        raise _Invalid(unknown)
    parsed = parse_type_word(str(entry.get("type", "")).strip()) if entry.get("type") is not None else None
    if parsed is None:
        raise _Invalid(f"题型「{entry.get('type')}」无法识别，应为 single、multiple、judge 或 blank")
    qtype = parsed[0]
    text = _text(entry, "question")
    explanation = _text(entry, "explanation", required=False)
    limit = entry.get("time_limit", default_limit)
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or not 5 <= limit <= 600):
        raise _Invalid("time_limit 应为 5 到 600 之间的整数（秒）")
    extra = _extras(entry, explanation, limit, default_strictness)
    raw_answer = entry.get("answer")
    if raw_answer is None or raw_answer == "" or raw_answer == []:
        raise _Invalid("缺少 answer")

    if qtype in (QuestionType.SINGLE, QuestionType.MULTIPLE):
        options = entry.get("options")
        if not isinstance(options, list) or not 2 <= len(options) <= len(LETTERS):
            raise _Invalid(f"选择题需要 2 到 {len(LETTERS)} 个选项（options 列表）")
        if any(o is None or not str(o).strip() for o in options):
            raise _Invalid("选项不能为空")
        letters = parse_choice(str(raw_answer), len(options))
        if letters is None:
            raise _Invalid(f"答案「{raw_answer}」不是 A–{LETTERS[len(options) - 1]} 范围内的选项字母")
        if qtype is QuestionType.SINGLE and len(letters) != 1:
            raise _Invalid(f"单选题只能有一个答案，实为「{raw_answer}」")
        if qtype is QuestionType.MULTIPLE and len(letters) < 2:
            raise _Invalid(f"多选题至少有两个正确选项，实为「{raw_answer}」")
        return Question(qtype, text, letters, tuple(plain_text(str(o)).strip() for o in options), **extra)
    if qtype is QuestionType.JUDGE:
        verdict = parse_judge(str(raw_answer)) if not isinstance(raw_answer, bool) else ("对" if raw_answer else "错")
        if verdict is None:
            raise _Invalid(f"判断题答案应为「对」或「错」，实为「{raw_answer}」")
        return Question(qtype, text, verdict, **extra)
    return Question.blank(text, _blanks(raw_answer), **extra)


def _blanks(raw_answer: object) -> list[list[str]]:
    """`answer: 提高质量` (one blank), `[南湖, 嘉兴南湖]` (one blank, accepted alternatives) or
    `[[改革开放], [社会主义现代化建设]]` (several blanks, each with its alternatives)."""
    if isinstance(raw_answer, list) and raw_answer and all(isinstance(a, list) for a in raw_answer):
        blanks = [[str(a).strip() for a in alts if a is not None and str(a).strip()] for alts in raw_answer]
    elif isinstance(raw_answer, list):
        blanks = [[str(a).strip() for a in raw_answer if a is not None and str(a).strip()]]
    else:
        blanks = [[str(raw_answer).strip()]]
    if not blanks or any(not alternatives for alternatives in blanks):
        raise _Invalid("填空题缺少答案（每个空至少一个答案）")
    return blanks


def load_bank_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> tuple[Bank | None, list[BankProblem]]:
    """The bank in `path`, or None with the problems that stop it loading.
    One bad question rejects the whole file: a half-loaded bank would silently lose questions.
    Read as UTF-8, or GB18030 when it is not (as a CSV bank is): a bank is what secretaries edit, in Notepad too."""
    name = str(path)
    try:
        data = read_yaml(path, limits, gbk=True)
    except OSError as exc:
        return None, [BankProblem(name, f"无法读取（{os_reason(exc)}）")]
    except Refused as exc:
        return None, [BankProblem(name, str(exc))]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"（第 {mark.line + 1} 行）" if mark else ""
        return None, [BankProblem(name, f"YAML 格式错误{where}：{getattr(exc, 'problem', exc)}，"
                                        "请检查缩进、冒号和引号")]
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        return None, [BankProblem(name, "题库应包含 name 和 questions 列表")]
    if unknown := _unknown(data, _BANK_KEYS):
        return None, [BankProblem(name, f"题库{unknown}")]
    bank_name = str(data.get("name") or path.stem).strip()
    if unsafe := unsafe_text([("name", bank_name), ("description", data.get("description"))]):
        return None, [BankProblem(name, f"题库的{message}") for message in unsafe]
    limit = data.get("time_limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or not 5 <= limit <= 600):
        return None, [BankProblem(name, "time_limit 应为 5 到 600 之间的整数（秒）")]
    try:
        strictness = parse_strictness(data.get("strictness"))
    except _Invalid as exc:
        return None, [BankProblem(name, f"题库的 strictness：{exc}")]
    problems: list[BankProblem] = []
    questions: list[Question] = []
    for number, entry in enumerate(data["questions"], start=1):
        try:
            questions.append(_question(entry, None, strictness))
        except _Invalid as exc:
            problems.append(BankProblem(name, str(exc), number))
    if not questions and not problems:
        problems.append(BankProblem(name, "题库中没有题目"))
    if problems:
        return None, problems
    reviewed = str(data.get("reviewed") or "").strip()
    return Bank(bank_name, tuple(questions), str(data.get("description") or ""), limit, name, reviewed), []


def _bank_files(directory: Path) -> list[Path]:
    """The directory's bank files in name order; the bundled directory's BUNDLED_FIRST before the others."""
    paths = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    if directory.resolve() == BUNDLED_BANK_DIR.resolve():
        paths.sort(key=lambda path: path.name != BUNDLED_FIRST)  # a stable sort: the rest keep their order
    return paths


def load_banks(dirs: Iterable[Path]) -> tuple[dict[str, Bank], list[BankProblem]]:
    """Every bank in the given directories; later directories may not silently replace a name."""
    banks: dict[str, Bank] = {}
    problems: list[BankProblem] = []
    for directory in dirs:
        if not directory.is_dir():
            continue
        for path in _bank_files(directory):
            bank, found = load_bank_file(path)
            problems.extend(found)
            if bank is None:
                continue
            if bad_name := name_problem("题库名（name）", bank.name):
                problems.append(BankProblem(str(path), f"{bad_name}，已忽略"))
                continue
            if bank.name in banks:
                problems.append(BankProblem(str(path),
                                            f"题库名「{bank.name}」与 {banks[bank.name].source} 重复，已忽略"))
                continue
            banks[bank.name] = bank
    return banks, problems
