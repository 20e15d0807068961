"""Reading a question bank from any supported file: YAML (.yaml/.yml, the bundled format), JSON,
Excel (.xlsx) and CSV.

    result = read_bank(path)            # BankRead: never raises for a bad file
    bank, problems = read_bank(path)    # it also unpacks as (bank, problems)
    bank = load_bank(path)              # raises BankError (.problems) instead

All or nothing: a file with any problem gives no bank and every problem found (each row or entry
is checked), each with its row number (spreadsheets, as Excel shows it) or entry number
(JSON/YAML, 1-based). Exact repeats — same type, same stem and options once NFKC, case, whitespace
and punctuation are folded — are dropped, the first kept, and counted in `duplicates_skipped`;
a repeat whose answer contradicts the first is a problem instead.

The bank's name: the `name` argument, else the file's own (YAML/JSON `name`), else the file's stem.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from quizzes.bank_yaml import load_bank_file
from quizzes.importers.common import BankProblem, Parsed, Where, problem_at, unsafe_text
from quizzes.importers.duplicates import Duplicate, dedupe
from quizzes.model import TYPE_LABELS, Bank, QuestionType
from safeio.limits import DEFAULT_LIMITS, Limits, Refused
from safeio.names import name_problem
from safeio.oserrors import os_reason

__all__ = ["read_bank", "load_bank", "BankRead", "BankError", "SUPPORTED_SUFFIXES"]

SUPPORTED_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx", ".xlsm", ".csv")
_OLD_FORMATS = {
    ".xls": "不支持旧版 Excel（.xls）文件：请在 Excel 中「另存为」.xlsx 后再导入",
    ".et": "不支持 WPS 表格（.et）文件：请另存为 .xlsx 后再导入",
    ".numbers": "不支持 Numbers 文件：请导出为 .xlsx 或 CSV 后再导入",
    ".doc": "不支持 Word 文件：请把题目整理到 Excel（.xlsx）表格中再导入",
    ".docx": "不支持 Word 文件：请把题目整理到 Excel（.xlsx）表格中再导入",
    ".txt": "不支持 .txt 文件：请另存为 CSV（逗号分隔）或 .xlsx 后再导入",
}


class BankError(Exception):
    """The bank could not be loaded; `.problems` lists every problem found."""

    def __init__(self, problems: list[BankProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class BankRead:
    """The result of reading one bank file.

    `bank` is None exactly when `problems` is not empty. `entries` counts the questions in the file
    (rows or list entries; empty rows not counted), `duplicates` the exact repeats dropped (each with
    where it was and where the kept first one is). Unpacks as `bank, problems = read_bank(path)`."""

    bank: Bank | None
    problems: list[BankProblem]
    duplicates: tuple[Duplicate, ...] = ()
    entries: int = 0
    source: str = ""

    def __iter__(self) -> Iterator[Bank | None | list[BankProblem]]:
        yield self.bank
        yield self.problems

    @property
    def duplicates_skipped(self) -> int:
        return len(self.duplicates)

    @property
    def type_counts(self) -> dict[QuestionType, int]:
        counts = Counter(q.type for q in self.bank.questions) if self.bank else Counter()
        return {qtype: counts[qtype] for qtype in QuestionType}

    def summary(self) -> str:
        """One line for the person importing, in Chinese."""
        if self.bank is None:
            return f"{self.source}：发现 {len(self.problems)} 处问题，题库未导入"
        per_type = "，".join(f"{TYPE_LABELS[t]} {n}" for t, n in self.type_counts.items() if n)
        skipped = f"，跳过完全重复的题目 {self.duplicates_skipped} 道" if self.duplicates else ""
        return (f"题库「{self.bank.name}」：读取 {self.entries} 道{skipped}，导入 {len(self.bank.questions)} 道"
                f"（{per_type}）")


def _read_yaml(path: Path, limits: Limits) -> tuple[Parsed, Bank | None]:
    bank, problems = load_bank_file(path, limits)
    if bank is None:
        return Parsed(problems=problems), None
    # every entry became a question (all or nothing), so position = entry number
    questions = [(Where(question_no=number), q) for number, q in enumerate(bank.questions, start=1)]
    return Parsed(questions, [], bank.name, bank.description, bank.time_limit, len(questions)), bank


def read_bank(path: Path | str, name: str | None = None, *, limits: Limits = DEFAULT_LIMITS) -> BankRead:
    """Read and check a bank file of any supported format; see the module docstring. A file over `limits` (or a
    workbook that unpacks past them) is refused before it is expanded."""
    path = Path(path)
    file = str(path)
    suffix = path.suffix.lower()

    def failed(message: str, row: int | None = None) -> BankRead:
        return BankRead(None, [problem_at(file, Where(row=row) if row else None, message)], source=file)

    if suffix not in SUPPORTED_SUFFIXES:
        return failed(_OLD_FORMATS.get(suffix, f"不支持「{suffix or '无扩展名'}」文件：题库应为 .xlsx、.csv、.json 或 "
                                                ".yaml 文件"))
    if not path.exists():
        return failed("找不到这个文件")
    if not path.is_file():
        return failed("这不是一个文件")
    try:
        if suffix in (".yaml", ".yml"):
            parsed, _ = _read_yaml(path, limits)
        elif suffix == ".json":
            from quizzes.importers.json_bank import read_json

            parsed = read_json(path, file, limits)
        elif suffix == ".csv":
            from quizzes.importers.tabular import read_csv

            parsed = read_csv(path, file, limits)
        else:
            from quizzes.importers.tabular import read_xlsx

            parsed = read_xlsx(path, file, limits)
    except PermissionError:
        return failed("没有读取权限")
    except OSError as exc:
        return failed(f"无法读取（{os_reason(exc)}）")
    except Refused as exc:  # a spreadsheet's line is a row, as its other problems give it; elsewhere it is text
        if suffix == ".json":
            return failed(str(exc))
        return failed(exc.reason, exc.line)

    bank_name = (name or "").strip() or parsed.name or path.stem
    kept, duplicates, conflicts = dedupe(parsed.questions)
    problems = [*parsed.problems, *(problem_at(file, where, message) for where, message in conflicts),
                *(problem_at(file, None, message) for message in _unsafe_bank_fields(bank_name, parsed.description))]
    if problems:
        return BankRead(None, _in_file_order(problems), tuple(duplicates), parsed.entries, file)
    bank = Bank(bank_name, tuple(q for _, q in kept), parsed.description, parsed.time_limit, file)
    return BankRead(bank, [], tuple(duplicates), parsed.entries, file)


def _unsafe_bank_fields(name: str, description: str) -> list[str]:
    """The name and description are stored and shown like a question (the name from --name too); the name is
    also the file `bank export` writes, so it is held to safeio/names.py as well."""
    problems = unsafe_text([("题库名", name), ("说明", description)])
    if not problems and (problem := name_problem("题库名", name)) is not None:
        problems.append(f"{problem}：请用 --name 另起一个名字")
    return problems


def _in_file_order(problems: list[BankProblem]) -> list[BankProblem]:
    """File-level problems first, then by sheet order of appearance, row / entry number (stable)."""
    sheets: dict[str, int] = {}
    for p in problems:
        sheets.setdefault(p.sheet, len(sheets))
    return sorted(problems, key=lambda p: (p.row is not None or p.question_no is not None, sheets[p.sheet],
                                           p.row or p.question_no or 0))


def load_bank(path: Path | str, name: str | None = None) -> Bank:
    """The bank in `path` (any supported format), or BankError listing every problem."""
    result = read_bank(path, name)
    if result.bank is None:
        raise BankError(result.problems)
    return result.bank
