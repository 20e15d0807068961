"""Reading and judging what members type: choice letters and 对/错 (answers), 填空 by fair-judge rules with
per-question strictness (blank and its parts: normalize, prepared, typed, lenient, explain, with jieba through
segmenter and Chinese numerals through numerals). Importing this package loads no dictionary."""

from quizzes.grading.answers import looks_like_answer, looks_like_chatter, normalize_text, parse_choice, parse_judge
from quizzes.grading.verdict import Verdict, grade, hint, judge, prepare, read_answer

__all__ = [
    "Verdict", "read_answer", "judge", "grade", "prepare", "hint",
    "looks_like_answer", "looks_like_chatter", "normalize_text", "parse_choice", "parse_judge",
]
