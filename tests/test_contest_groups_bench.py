"""bench/contest_groups.py keeps working: a tiny 全委竞赛 through it meets every goal it prints."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "contest_groups.py"


def test_a_tiny_committee_contest_meets_the_bench_goals(capsys):
    spec = importlib.util.spec_from_file_location("contest_groups", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--groups", "3", "--members", "12", "--questions", "2"]) == 0
    printed = capsys.readouterr().out
    assert "answers: sent 72, stored 72, lost 0" in printed
    assert "final standings reached 3 of 3 groups" in printed and "goal met" in printed
