"""`studybot meetings minutes ID [--file]`: minutes recorded or replaced from a Markdown or text file, printed
without --file, and every bad input (a meeting to come, cancelled or unknown, a file without the fields, .docx
without python-docx, a missing file)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.cli.common import CliContext
from bot.clock import ManualClock
from bot.services.minutes_file import MinutesFileError, parse_minutes_text
from bot.storage.branches import get_or_create_branch
from bot.storage.db import Database
from bot.storage.models import MeetingRow
from bot.storage.models_records import MinutesRow

runner = CliRunner()
NOW = datetime(2026, 3, 5, 9, 0)
MARKDOWN = """\
# 第一党支部支委会会议记录

## 主持人
张三

## 记录人：李四

## 议程
1. 学习党章
2. 讨论发展对象

## 主要内容
### 一、学习党章
内容：逐条学习第二章。

## 决议事项
同意王五列为发展对象。
"""


def invoke(config: Path, *args: str, now: datetime = NOW):
    return runner.invoke(build_cli(), [*args, "--config", str(config)], obj=CliContext(ManualClock(now)))


@pytest.fixture
def meetings(cli_config: Path, tmp_path: Path) -> Path:
    """Meeting 1 (支委会, 3月3日, held), 2 (党课, 3月10日, to come), 3 (cancelled), all of 第一党支部."""
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    with db.session() as session:
        branch = get_or_create_branch(session=session, name="第一党支部")
        for type_key, start, cancelled in (("committee", datetime(2026, 3, 3, 14, 30), None),
                                           ("lecture", datetime(2026, 3, 10, 15, 0), None),
                                           ("committee", datetime(2026, 3, 4, 14, 30), datetime(2026, 3, 1))):
            session.add(MeetingRow(branch_id=branch.id, type_key=type_key, start_at=start, topic="学习党章",
                                   created_at=datetime(2026, 3, 1), cancelled_at=cancelled))
        session.commit()
    db.dispose()
    return cli_config


def stored(tmp_path: Path) -> list[MinutesRow]:
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    with db.session() as session:
        rows = list(session.exec(select(MinutesRow)))
    db.dispose()
    return rows


def test_minutes_from_markdown_are_stored_printed_and_replaced(meetings: Path, tmp_path: Path) -> None:
    assert invoke(meetings, "meetings", "minutes", "1").output == (
        "编号 1 的会议还没有会议记录。可用 --file 从文件导入，或由书记、委员私聊机器人发送「会议记录 1」填写。\n")
    (tmp_path / "minutes.md").write_text(MARKDOWN, encoding="utf-8")
    saved = invoke(meetings, "meetings", "minutes", "1", "--file", "minutes.md")
    assert saved.exit_code == 0, saved.output
    assert saved.output.startswith("已保存编号 1 的会议记录：\n会议记录 [1] 3月3日（周二）14:30 支部委员会会议，"
                                   "主题：学习党章（第一党支部）\n主持人：张三\n记录人：李四\n议程/主题：1. 学习党章\n")
    [row] = stored(tmp_path)
    assert (row.chair, row.recorder, row.agenda, row.content, row.decisions, row.recorded_by) == (
        "张三", "李四", "1. 学习党章\n2. 讨论发展对象", "### 一、学习党章\n内容：逐条学习第二章。",
        "同意王五列为发展对象。", "命令行")
    shown = invoke(meetings, "meetings", "minutes", "1")
    assert shown.exit_code == 0
    assert "决议事项：同意王五列为发展对象。\n记录于 2026-03-05 09:00（命令行）\n" in shown.output
    (tmp_path / "minutes.txt").write_text("主持人：王五\n主要内容：传达上级精神\n", encoding="gbk")
    replaced = invoke(meetings, "meetings", "minutes", "1", "--file", "minutes.txt", now=datetime(2026, 3, 6, 9))
    assert replaced.exit_code == 0 and replaced.output.startswith("已替换编号 1 的会议记录：")
    [row] = stored(tmp_path)
    assert (row.chair, row.recorder, row.content, row.recorded_at, row.updated_at) == (
        "王五", "", "传达上级精神", NOW, datetime(2026, 3, 6, 9))


@pytest.mark.parametrize(("args", "files", "message"), [
    (["x"], {}, "会议编号应为数字，例如：studybot meetings minutes 3（编号见 studybot meetings list --branch 支部。）"),
    (["9"], {}, "没有编号为 9 的会议。编号见 studybot meetings list --branch 支部。"),
    (["3"], {}, "编号 3 的会议已取消，不需要会议记录。"),
    (["2", "--file", "m.md"], {"m.md": MARKDOWN},
     "编号 2 的党课还没有开始（3月10日（周二）15:00召开），会议开始后才能记录。"),
    (["1", "--file", "m.docx"], {"m.docx": "PK"},
     "m.docx：不是有效的 Word 文件（.docx），请用 Word 打开后另存为 .docx 或 .txt 再试"),
    (["1", "--file", "m.pdf"], {"m.pdf": "%PDF"},
     "m.pdf：只能导入 .docx、.md 或 .txt 文件（按「主持人」「记录人」「议程」「主要内容」「决议事项」分段）。"),
    (["1", "--file", "none.md"], {}, "none.md：无法读取（文件不存在）"),
    (["1", "--file", "m.md"], {"m.md": "会议很好。\n"},
     "m.md：没有找到会议记录的各部分：请用「## 主持人」「## 记录人」「## 议程」「## 主要内容」「## 决议事项」"
     "这样的标题（或「主持人：张三」这样的行）分段。"),
    (["1", "--file", "m.md"], {"m.md": "## 主持人\n张三\n## 主持人\n李四\n"}, "m.md：第 3 行：「主持人」出现了两次"),
])
def test_bad_input_is_refused_in_chinese_and_nothing_is_stored(meetings: Path, tmp_path: Path, args: list[str],
                                                               files: dict[str, str], message: str) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = invoke(meetings, "meetings", "minutes", *args)
    assert result.exit_code == 2
    assert result.output == message + "\n"
    assert stored(tmp_path) == []


def test_minutes_from_a_word_file_with_headings_or_labelled_paragraphs(meetings: Path, tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("第一党支部支委会会议记录", level=1)  # a title before the first field is left out
    document.add_paragraph("主持人：张三")
    document.add_paragraph("记录人：李四")
    document.add_heading("主要内容", level=2)
    document.add_paragraph("逐条学习党章第二章。")
    document.add_paragraph("讨论发展对象。")
    document.add_heading("决议事项", level=2)
    document.add_paragraph("同意王五列为发展对象。")
    document.save(tmp_path / "会议记录.docx")
    saved = invoke(meetings, "meetings", "minutes", "1", "--file", "会议记录.docx")
    assert saved.exit_code == 0, saved.output
    [row] = stored(tmp_path)
    assert (row.chair, row.recorder, row.agenda, row.content, row.decisions) == (
        "张三", "李四", "", "逐条学习党章第二章。\n讨论发展对象。", "同意王五列为发展对象。")


def test_markdown_labels_inside_the_text_stay_text_but_a_text_file_reads_labelled_lines() -> None:
    assert parse_minutes_text("## 主要内容\n主题：学习\n")["content"] == "主题：学习"
    assert parse_minutes_text("主要内容：第一段\n第二段\n主题：学习\n", labelled=True) == {
        "chair": "", "recorder": "", "agenda": "学习", "content": "第一段\n第二段", "decisions": ""}
    with pytest.raises(MinutesFileError, match="最多 100 个字"):
        parse_minutes_text("## 主持人\n" + "张" * 101)
