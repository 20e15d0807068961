"""`reviewed:` (issue 16): every bundled study item and bank says who checked it against its sources, empty until a
Party-affairs colleague has; `studybot doctor` reminds secretaries of those still unreviewed (⚠️, not a failure),
and a user's own items and banks, which need no such field, are not counted."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import build_cli
from bot.cli.common import CliContext
from bot.clock import ManualClock
from content.items import parse_item
from content.library import bundled_dir, library_files
from quizzes.bank_export import write_yaml
from quizzes.bank_yaml import BUNDLED_BANK_DIR, load_bank_file

runner = CliRunner()


def test_every_bundled_item_and_bank_carries_the_field() -> None:
    files = library_files(bundled_dir())
    assert files
    for path in files:
        assert "\nreviewed:" in path.read_text(encoding="utf-8"), path
    for path in BUNDLED_BANK_DIR.glob("*.yaml"):
        assert "\nreviewed:" in path.read_text(encoding="utf-8"), path


def test_the_field_is_read_from_items_and_banks(tmp_path: Path) -> None:
    item = parse_item("---\ntitle: 学习党章\nreviewed: 2026-12-01 张**\n---\n正文\n", tmp_path / "a.md", tmp_path)
    assert item.reviewed == "2026-12-01 张**"
    bank_file = tmp_path / "b.yaml"
    bank_file.write_text("name: 测试\nreviewed: 2026-12-01 李**\nquestions:\n"
                         "  - {type: judge, question: 党员有退党的自由。, answer: 对}\n", encoding="utf-8")
    bank, problems = load_bank_file(bank_file)
    assert problems == [] and bank is not None and bank.reviewed == "2026-12-01 李**"
    write_yaml(bank, tmp_path / "exported.yaml")  # a bank exported as YAML keeps who reviewed it
    again, _ = load_bank_file(tmp_path / "exported.yaml")
    assert again is not None and again.reviewed == "2026-12-01 李**"


def test_doctor_reminds_of_the_bundled_content_still_unreviewed_without_failing(cli_config: Path) -> None:
    own = cli_config.parent / "own"
    own.mkdir()
    (own / "x.md").write_text("---\ntitle: 本支部学习资料\n---\n正文\n", encoding="utf-8")
    cli_config.write_text(cli_config.read_text(encoding="utf-8") + f"content:\n  dirs: [{own}]\n", encoding="utf-8")
    result = runner.invoke(build_cli(), ["doctor", "--config", str(cli_config)],
                           obj=CliContext(ManualClock(datetime(2025, 3, 3, 9, 0))))
    bundled = len(library_files(bundled_dir()))
    line = next(line for line in result.stdout.splitlines() if "内容审核" in line)
    assert line == (f"⚠️ 内容审核：{bundled} 篇内置学习资料、内置题库「党建基础知识」"
                    "「二十届三中四中全会与党纪学习教育」尚未经党务人员审核（reviewed 为空）；"
                    "审核后在文件头部填写审核人和日期")
    assert result.exit_code == 0, result.output
