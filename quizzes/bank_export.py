"""Writing a bank back out, as YAML (the bundled format), as an Excel sheet a secretary can edit, or as a CSV.
Reading any of them back with quizzes.bank_io.read_bank gives the same questions.

    write_yaml(bank, path)
    warnings = write_xlsx(bank, path)   # Chinese notes on questions a spreadsheet cannot carry exactly
    warnings = write_csv(bank, path)    # the same columns as a CSV

The .xlsx has one sheet, header in row 1: 题型, 题干, 选项A…(as many as the widest question needs),
答案, 解析, 出处, 分值, 难度, 知识点, plus 判分 and 限时（秒） when any question has them. 判断 rows have no
options and 对/错 as the answer; 填空 answers list a blank's accepted answers separated by |, and
blanks separated by ；. The CSV has the same columns; a text in it that starts like a formula has a leading
「'」 that reading it back takes off (safeio/cells.py).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from quizzes.importers.blank_answers import count_blank_slots, split_blank_answer
from quizzes.importers.common import Invalid
from quizzes.importers.optional_fields import STRICTNESS_LABELS
from quizzes.model import LETTERS, TYPE_LABELS, Bank, Question, QuestionType
from safeio.cells import append_row, csv_row
from safeio.text import excel_safe

__all__ = ["write_yaml", "write_xlsx", "write_csv", "bank_to_yaml"]


class _Dumper(yaml.SafeDumper):
    """Short lists (options, accepted answers) on one line, as in quizzes/banks/sample.yaml."""


def _represent_list(dumper: yaml.SafeDumper, data: list[object]) -> yaml.Node:
    flat = all(isinstance(item, (str, list)) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


class _BlockList(list[object]):
    """The question list: one entry a block, whatever its items."""


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(_BlockList, lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data,
                                                                                    flow_style=False))


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _blank_answer_yaml(question: Question) -> object:
    if len(question.blanks) > 1:
        return [list(alternatives) for alternatives in question.blanks]
    alternatives = list(question.blanks[0]) if question.blanks else [question.answer]
    return alternatives[0] if len(alternatives) == 1 else alternatives


def bank_to_yaml(bank: Bank) -> str:
    strictness = {q.strictness for q in bank.questions}
    shared = strictness.pop() if len(strictness) == 1 else None  # one value for all: the bank's default
    data: dict[str, object] = {"name": bank.name}
    if bank.description:
        data["description"] = bank.description
    if bank.time_limit is not None:
        data["time_limit"] = bank.time_limit
    if bank.reviewed:
        data["reviewed"] = bank.reviewed
    if shared is not None:
        data["strictness"] = shared
    entries = []
    for q in bank.questions:
        entry: dict[str, object] = {"type": q.type.value, "question": q.text}
        if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE):
            entry["options"] = list(q.options)
            entry["answer"] = q.answer
        elif q.type is QuestionType.JUDGE:
            entry["answer"] = q.answer
        else:
            entry["answer"] = _blank_answer_yaml(q)
        if q.explanation:
            entry["explanation"] = q.explanation
        if q.source:
            entry["source"] = q.source
        if q.time_limit is not None:
            entry["time_limit"] = q.time_limit
        if q.strictness is not None and shared is None:
            entry["strictness"] = q.strictness
        if q.points is not None:
            entry["points"] = _number(q.points)
        if q.difficulty:
            entry["difficulty"] = q.difficulty
        if q.topic:
            entry["topic"] = q.topic
        entries.append(entry)
    data["questions"] = _BlockList(entries)
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10_000)


def write_yaml(bank: Bank, path: Path | str) -> None:
    """The bank in the YAML bank format (what quizzes/banks/*.yaml use)."""
    Path(path).write_text(bank_to_yaml(bank), encoding="utf-8")


def _blank_answer_cell(question: Question) -> str:
    return "；".join("|".join(alternatives) for alternatives in question.blanks)


def _xlsx_warning(number: int, question: Question) -> str | None:
    """Why a 填空 question would not read back the same from its row, if it would not."""
    if question.type is not QuestionType.BLANK:
        return None
    if any("|" in a or "｜" in a for alternatives in question.blanks for a in alternatives):
        return f"第 {number} 行：填空答案中含有「|」，表格中「|」用来分隔多个可接受的答案，读回时会被拆开"
    try:
        read_back = split_blank_answer(_blank_answer_cell(question), question.text)
    except Invalid:
        read_back = None
    if read_back is None or [tuple(b) for b in read_back] != list(question.blanks):
        slots = count_blank_slots(question.text)
        return (f"第 {number} 行：填空题有 {len(question.blanks)} 个空，题干中的括号/下划线有 {slots} 处，"
                "读回时答案会被拆分得不同；请让题干的空数与答案一致，或改用 YAML 导出")
    return None


def _table(bank: Bank) -> tuple[list[str], list[list[object]]]:
    """The header and one row a question, as the .xlsx and the CSV have them."""
    width = max((len(q.options) for q in bank.questions), default=0)
    width = max(width, 2) if any(q.options for q in bank.questions) else width
    with_strictness = any(q.strictness for q in bank.questions)
    with_limit = any(q.time_limit is not None for q in bank.questions)
    header = ["题型", "题干", *(f"选项{LETTERS[i]}" for i in range(width)), "答案", "解析", "出处", "分值", "难度",
              "知识点"]
    if with_strictness:
        header.append("判分")
    if with_limit:
        header.append("限时（秒）")
    rows = []
    for q in bank.questions:
        answer = _blank_answer_cell(q) if q.type is QuestionType.BLANK else q.answer
        row: list[object] = [TYPE_LABELS[q.type], q.text, *q.options, *([""] * (width - len(q.options))),
                             answer, q.explanation, q.source, _number(q.points) if q.points is not None else None,
                             q.difficulty, q.topic]
        if with_strictness:
            row.append(STRICTNESS_LABELS.get(q.strictness or "", q.strictness or ""))
        if with_limit:
            row.append(q.time_limit)
        rows.append(row)
    return header, rows


def _row_warnings(number: int, question: Question, dropped: bool) -> list[str]:
    """`dropped`: a control character was taken out of the row (a bank stored before imports refused them)."""
    warning = _xlsx_warning(number, question)
    return ([f"第 {number} 行：有不可见的控制字符，表格中已删去"] if dropped else []) + ([warning] if warning else [])


def write_csv(bank: Bank, path: Path | str) -> list[str]:
    """The bank as a CSV (UTF-8 with a BOM, for Excel) of the .xlsx's columns; warnings as write_xlsx gives
    them. A text that starts like a formula (「=」「+」「-」「@」…) is written with a leading 「'」
    (safeio/cells.py), which reading the CSV back takes off again."""
    header, rows = _table(bank)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    warnings: list[str] = []
    for number, (row, question) in enumerate(zip(rows, bank.questions, strict=True), start=2):
        cleaned = [excel_safe(value) for value in row]
        writer.writerow(csv_row(cleaned))
        warnings += _row_warnings(number, question, cleaned != row)
    Path(path).write_text("\ufeff" + buffer.getvalue(), encoding="utf-8", newline="")
    return warnings


def write_xlsx(bank: Bank, path: Path | str) -> list[str]:
    """The bank as an .xlsx sheet (see the module docstring). Returns warnings, in Chinese, for questions
    whose row would not read back exactly (rare: a 填空 whose stem's blanks do not match its answers);
    an empty list means the file reads back as the same questions. Every text is a string cell, never a
    formula, whatever it starts with (safeio/cells.py)."""
    import openpyxl  # only when exporting
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.worksheet import Worksheet

    header, rows = _table(bank)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook opens on its one ordinary worksheet
    sheet.title = _sheet_title(bank.name)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    warnings: list[str] = []
    for number, (row, question) in enumerate(zip(rows, bank.questions, strict=True), start=2):
        warnings += _row_warnings(number, question, append_row(sheet, row))
    widths = {"题型": 8, "题干": 60, "答案": 14, "解析": 40, "出处": 24, "知识点": 16}
    for index, title in enumerate(header, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = widths.get(title, 24 if title.startswith("选项") else 10)
        if title in ("题干", "解析"):
            for cell in sheet[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    workbook.save(Path(path))
    return warnings


def _sheet_title(name: str) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in excel_safe(name)).strip("'") or "题库"
    return cleaned[:31]
