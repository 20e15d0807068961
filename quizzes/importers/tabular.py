"""Question banks in spreadsheets: Excel .xlsx and CSV (UTF-8 with or without BOM, GBK/GB18030, UTF-16).

One question per row under a header row, which may sit below title rows. Columns are found by
their header in any order (full-width characters, spaces and notes in brackets such as
「题型（单选/多选/判断/填空）」 are tolerated):

  题型      题型 类型 题目类型 试题类型 type — optional; when missing or empty the type is inferred
  题干      题干 题目 试题 问题 题目内容 试题内容 question stem (required)
  选项      选项A…选项H, A…H, 选项1…选项8, 选项一…选项八, or one 选项 column separated by new lines,
            | or ；/; (each option optionally labelled A. A、 A: (A), labels stripped)
  答案      答案 正确答案 参考答案 标准答案 answer (required)
  解析      解析 答案解析 试题解析 题目解析 explanation
  出处      出处 来源 依据 出处依据 政策依据 source (the document and article the answer rests on)
  分值      分值 分数 points score; 难度 难易度 difficulty; 知识点 考点 topic
  判分      判分 判分方式 strictness (精确/标准/宽松 or exact/normal/lenient); 限时 时限 答题时间 time_limit

Other columns (序号, 备注 …) are ignored. Rows with nothing in the recognised columns are skipped.
A CSV cell that starts with 「'」 followed by 「=」「+」「-」「@」 (what a formula starts with; see safeio/cells.py)
loses that one 「'」: it is how `bank export` keeps such a text from running in Excel.
In a workbook every sheet with such a header is read; a sheet named after a type (「多选题」) gives
that type to rows whose 题型 is empty. Row numbers are those Excel shows (header = row 1 when first).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from quizzes.importers.answer_parsing import parse_type_word, split_options, strip_option_prefixes
from quizzes.importers.build import build_question
from quizzes.importers.common import Parsed, RawQuestion, Where, clean_cell, problem_at
from quizzes.model import LETTERS
from safeio.cells import csv_unescape
from safeio.limits import DEFAULT_LIMITS, Limits
from safeio.tables import csv_rows, read_sheets
from safeio.text import read_text

__all__ = ["read_xlsx", "read_csv", "COLUMN_ALIASES"]

COLUMN_ALIASES: dict[str, str] = {
    **dict.fromkeys(["题型", "类型", "题目类型", "试题类型", "题类", "type", "questiontype"], "type"),
    **dict.fromkeys(["题干", "题目", "试题", "问题", "题目内容", "试题内容", "题干内容", "试题题干", "题目题干",
                     "question", "stem"], "text"),
    **dict.fromkeys(["选项", "选项内容", "备选项", "备选答案", "options", "choices"], "options"),
    **dict.fromkeys(["答案", "正确答案", "参考答案", "标准答案", "正确选项", "试题答案", "题目答案", "answer"],
                    "answer"),
    **dict.fromkeys(["解析", "答案解析", "试题解析", "题目解析", "解释", "explanation", "analysis"], "explanation"),
    **dict.fromkeys(["出处", "来源", "依据", "出处依据", "政策依据", "题目出处", "试题出处", "source", "reference"],
                    "source"),
    **dict.fromkeys(["分值", "分数", "points", "score"], "points"),
    **dict.fromkeys(["难度", "难易度", "难易程度", "difficulty"], "difficulty"),
    **dict.fromkeys(["知识点", "考点", "topic"], "topic"),
    **dict.fromkeys(["判分", "判分方式", "strictness"], "strictness"),
    **dict.fromkeys(["限时", "时限", "答题时间", "答题时限", "timelimit"], "time_limit"),
}
_FIELD_NAMES = {"type": "题型", "text": "题干", "options": "选项", "answer": "答案", "explanation": "解析",
                "source": "出处", "points": "分值", "difficulty": "难度", "topic": "知识点", "strictness": "判分",
                "time_limit": "限时"}
_HEADER_SEARCH_ROWS = 20  # title rows such as「2024 年党史知识竞赛题库」may sit above the header
_CHINESE_DIGITS = "一二三四五六七八"
_Rows = Sequence[Sequence[object]]  # a sheet: cells as csv (text) or openpyxl (text, numbers, dates) give them


def _header_key(value: object) -> str:
    text = unicodedata.normalize("NFKC", clean_cell(value)).lower()
    text = re.sub(r"\(.*?\)|【.*?】|\[.*?\]", "", text)
    return re.sub(r"[\s*:_\-]+", "", text)


def _option_index(key: str) -> int | None:
    """Which option a header names: 选项A / A / optionA -> 0, 选项1 -> 0, 选项一 -> 0."""
    match = re.fullmatch(r"(?:选项|option)?([a-h])", key)
    if match:
        return LETTERS.index(match.group(1).upper())
    match = re.fullmatch(r"(?:选项|option)([1-8])", key)
    if match:
        return int(match.group(1)) - 1
    match = re.fullmatch(rf"选项([{_CHINESE_DIGITS}])", key)
    if match:
        return _CHINESE_DIGITS.index(match.group(1))
    return None


def _find_header(rows: _Rows) -> int | None:
    """The first row (near the top) naming both a 题干 and an 答案 column; failing that, the first
    naming a 题干 column (so that the missing 答案 column is reported on it)."""
    seen = 0
    with_stem: int | None = None
    for index, row in enumerate(rows):
        if not any(clean_cell(cell) for cell in row):
            continue
        fields = {COLUMN_ALIASES.get(_header_key(cell)) for cell in row}
        if "text" in fields:
            if "answer" in fields:
                return index
            with_stem = index if with_stem is None else with_stem
        seen += 1
        if seen >= _HEADER_SEARCH_ROWS:
            break
    return with_stem


_HEADER_HINT = ("表头一行应包含「题干」（或 题目、试题、问题）和「答案」列，"
                "可选 题型、选项A…选项F、解析、出处、分值、难度、知识点")


def _read_table(rows: _Rows, file: str, title: str, sheet: str, header_index: int, parsed: Parsed) -> None:
    """One sheet's rows from its header on. `title` is the sheet's name, `sheet` the name shown in problems
    (empty when the workbook has a single sheet of questions)."""
    header_row = header_index + 1
    header_where = Where(row=header_row, sheet=sheet)
    columns: dict[str, int] = {}
    option_columns: dict[int, int] = {}
    header_ok = True
    for position, cell in enumerate(rows[header_index]):
        key = _header_key(cell)
        if not key:
            continue
        field = COLUMN_ALIASES.get(key)
        index = _option_index(key) if field is None else None
        if field is not None:
            if field in columns:
                parsed.problems.append(problem_at(file, header_where, f"表头中「{_FIELD_NAMES[field]}」列出现了两次"
                                                                      f"（「{clean_cell(cell)}」）"))
                header_ok = False
            columns[field] = position
        elif index is not None:
            if index in option_columns:
                parsed.problems.append(problem_at(file, header_where, f"表头中「选项{LETTERS[index]}」列出现了两次"
                                                                      f"（「{clean_cell(cell)}」）"))
                header_ok = False
            option_columns[index] = position
    if "answer" not in columns:
        parsed.problems.append(problem_at(file, header_where,
                                          "表头缺少「答案」列（也可写作 正确答案、参考答案、标准答案）"))
        header_ok = False
    if "options" in columns and option_columns:
        parsed.problems.append(problem_at(file, header_where,
                                          "表头同时有「选项」列和「选项A」等分列的选项，请只保留一种"))
        header_ok = False
    if not header_ok:
        return

    default_type = None
    if title:
        guessed = parse_type_word(title)
        default_type = guessed[0] if guessed else None
    option_slots = sorted(option_columns.items())
    data_rows = 0
    for index in range(header_index + 1, len(rows)):
        values = rows[index]
        dates: list[str] = []
        fields = {field: _cell(values, position, _FIELD_NAMES[field], dates) for field, position in columns.items()}
        option_cells = [(slot, _cell(values, pos, f"选项{LETTERS[slot]}", dates)) for slot, pos in option_slots]
        if not any(fields.values()) and not any(text for _, text in option_cells):
            continue  # empty rows (and rows with only a 序号) are skipped
        data_rows += 1
        where = Where(row=index + 1, sheet=sheet)
        raw = RawQuestion(where, type_word=fields.get("type", ""), text=fields.get("text", ""),
                          answer=fields.get("answer", ""), explanation=fields.get("explanation", ""),
                          source=fields.get("source", ""),
                          points=fields.get("points"), difficulty=fields.get("difficulty"),
                          topic=fields.get("topic"), strictness=fields.get("strictness"),
                          time_limit=fields.get("time_limit"), default_type=default_type, problems=dates)
        if "options" in columns:
            raw.options = split_options(fields["options"])
        elif option_cells:
            by_slot = dict(option_cells)
            last = max((slot for slot, text in option_cells if text), default=-1)
            raw.options = strip_option_prefixes([by_slot.get(slot, "") for slot in range(last + 1)])
        question, problems = build_question(raw)
        parsed.problems.extend(problem_at(file, where, message) for message in problems)
        if question is not None:
            parsed.questions.append((where, question))
    parsed.entries += data_rows


def _cell(values: Sequence[object], position: int | None, label: str, dates: list[str]) -> str:
    """The text of one cell of a row (`label` names its column); a cell Excel took for a date or a time adds a
    problem to `dates` instead of passing silently as 2024-01-02."""
    value = values[position] if position is not None and position < len(values) else None
    if isinstance(value, (datetime.date, datetime.time)):
        shown = value.date() if isinstance(value, datetime.datetime) and value.time() == datetime.time() else value
        dates.append(f"「{label}」单元格被 Excel 当成了日期/时间（{shown.isoformat()}）："
                     "请把该单元格设为「文本」格式后重新输入")
    return clean_cell(value)


def _read_rows(sheets: Sequence[tuple[str, _Rows]], file: str) -> Parsed:
    parsed = Parsed()
    if not any(clean_cell(cell) for _, rows in sheets for row in rows for cell in row):
        parsed.problems.append(problem_at(file, None, f"文件是空的。{_HEADER_HINT}"))
        return parsed
    found = [(title, rows, header) for title, rows in sheets if (header := _find_header(rows)) is not None]
    if not found:
        parsed.problems.append(problem_at(file, None, f"找不到表头。{_HEADER_HINT}"))
        return parsed
    for title, rows, header in found:
        _read_table(rows, file, title, title if len(found) > 1 else "", header, parsed)
    if not parsed.entries and not parsed.problems:  # a sheet per type may well leave one empty: only all empty counts
        parsed.problems.append(problem_at(file, None, f"只有表头（第 {found[0][2] + 1} 行），没有题目"))
    return parsed


# ---------------------------------------------------------------- files


def read_csv(path: Path, file: str, limits: Limits = DEFAULT_LIMITS) -> Parsed:
    """Refused (from safeio) for a file over the limits, in no encoding we read, or not CSV."""
    text = read_text(path, limits, gbk=True)
    sample = [line for line in text.splitlines() if line.strip()][:5]
    tabs, commas = sum(line.count("\t") for line in sample), sum(line.count(",") for line in sample)
    rows = csv_rows(text, "\t" if tabs > commas else ",")
    # the 「'」 that `bank export` (or any CSV written by safeio/cells.py) put before 「=」「+」「-」「@」… comes off
    return _read_rows([("", [[csv_unescape(cell) if isinstance(cell, str) else cell for cell in row]
                             for row in rows])], file)


def read_xlsx(path: Path, file: str, limits: Limits = DEFAULT_LIMITS) -> Parsed:
    """Refused (from safeio) for a workbook over the limits or one openpyxl cannot read."""
    return _read_rows(read_sheets(path, limits), file)
