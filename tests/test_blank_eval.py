"""The 填空 grader against the labelled evaluation set (tests/data/blank_eval.yaml), strictness normal."""

from pathlib import Path

import pytest
import yaml

from quizzes.grading import grade
from quizzes.model import Question

EVAL_SET = Path(__file__).parent / "data" / "blank_eval.yaml"


@pytest.fixture(scope="module")
def entries() -> list[dict]:
    return yaml.safe_load(EVAL_SET.read_text(encoding="utf-8"))


def test_the_set_is_large_and_balanced(entries):
    assert len(entries) >= 320
    share = sum(e["correct"] for e in entries) / len(entries)
    assert 0.50 <= share <= 0.60  # roughly 55 % should be accepted, 45 % rejected
    assert all(set(e) == {"question", "blanks", "answer", "correct", "why"} for e in entries)
    assert any(len(e["blanks"]) > 1 for e in entries)


def test_accuracy_and_no_false_accepts(entries):
    failures = []
    for entry in entries:
        question = Question.blank(entry["question"], entry["blanks"])  # strictness None: normal
        verdict = grade(question, str(entry["answer"]))
        if verdict.correct != entry["correct"]:
            kind = "false accept" if verdict.correct else "false reject"
            failures.append((kind, entry["blanks"], entry["answer"], entry["why"], verdict.reason))
    for failure in failures:
        print(*failure, sep=" | ")
    false_accepts = [f for f in failures if f[0] == "false accept"]
    accuracy = 1 - len(failures) / len(entries)
    print(f"accuracy {accuracy:.2%}, {len(false_accepts)} false accepts, {len(failures) - len(false_accepts)} "
          f"false rejects of {len(entries)}")
    assert not false_accepts
    assert accuracy >= 0.98


def test_rejections_say_why(entries):
    for entry in entries:
        verdict = grade(Question.blank(entry["question"], entry["blanks"]), str(entry["answer"]))
        assert (verdict.reason == "") is verdict.correct
