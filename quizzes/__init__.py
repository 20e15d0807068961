"""Question banks and the quiz engine: pure domain code, no I/O beyond reading bank files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quizzes.grading import Verdict
    from quizzes.model import Bank, Question

__all__ = ["load_bank", "read_bank", "BankError", "BankRead", "grade", "Verdict"]


def load_bank(path: Path | str, name: str | None = None) -> Bank:
    """The bank in a .yaml/.yml, .json, .xlsx or .csv file; raises quizzes.BankError (with `.problems`,
    every problem found, each with its row or entry number) when the file has any problem."""
    from quizzes.bank_io import load_bank as _load_bank  # imported on use: `import quizzes` stays cheap

    return _load_bank(path, name)


def grade(question: Question, text: str) -> Verdict:
    """Judge what a member typed: `.correct` (bool), `.reason` (why not, in Chinese; "" when right)."""
    from quizzes.grading import grade as _grade  # imported on use, like load_bank

    return _grade(question, text)


def __getattr__(attribute: str) -> Any:
    if attribute in ("read_bank", "BankError", "BankRead"):
        from quizzes import bank_io

        return getattr(bank_io, attribute)
    if attribute == "Verdict":
        from quizzes.grading import Verdict

        return Verdict
    raise AttributeError(f"module 'quizzes' has no attribute {attribute!r}")
