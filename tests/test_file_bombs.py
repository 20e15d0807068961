"""Resource bombs in the files people hand the bot (issue 11, item 6): an .xlsx whose few kilobytes unpack to
megabytes, a CSV or workbook with a cell far longer than any question, a JSON bank nested thousands deep, YAML
whose aliases expand to millions of nodes. Each is refused before it is expanded, with one short Chinese message
naming the file and where, and nothing is stored. The bombs here are small (a limit passed in, or a ratio that
gives them away); what real-size bombs cost is measured by bench/bombs.py."""

from __future__ import annotations

import io
import json
import random
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.services import meeting_files
from bot.services.roster_file import RosterError, read_roster
from bot.settings import ConfigError, load_settings
from content.items import ItemError, parse_item
from content.plans import load_plan_file
from quizzes.bank_io import read_bank
from quizzes.bank_yaml import load_bank_file
from safeio.limits import MAX_CELL_CHARS, MAX_DEPTH, MAX_ROWS, Limits

runner = CliRunner()
HEADER = ["题型", "题干", "选项A", "选项B", "答案"]
GOOD_ROW = ["单选", "党的最高领导机关是（）。", "党的全国代表大会和它所产生的中央委员会", "中央政治局", "A"]


def workbook(path: Path, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def patched(path: Path, part: str, old: bytes, new: bytes) -> Path:
    """`path` with `old` replaced by `new` in one part of the zip: openpyxl itself will not write a cell over
    Excel's 32,767 characters, nor a sheet that claims a size it does not have."""
    target = path.with_name("patched-" + path.name)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == part:
                # openpyxl writes 「<x />」 with its own writer and 「<x/>」 with lxml's, when lxml is installed
                old, new = (old, new) if old in data else (old.replace(b" />", b"/>"), new.replace(b" />", b"/>"))
                assert old in data
                data = data.replace(old, new)
            archive.writestr(item, data)
    return target


SHEET = "xl/worksheets/sheet1.xml"


def billion_laughs(levels: int = 9) -> str:
    """YAML anchors a–i, each a list of nine aliases to the one before: *i stands for 9⁹ strings."""
    lines = ['a: &a ["哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈"]']
    for level in range(1, levels):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- .xlsx: unpacked size and ratio


def test_a_workbook_whose_cell_unpacks_a_thousandfold_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = patched(workbook(tmp_path / "bomb.xlsx", [HEADER, ["单选", "@@", "甲", "乙", "A"]]), SHEET, b"@@",
                   "党".encode() * 2_000_000)
    assert path.stat().st_size < 100_000  # 6 MB of text in a few kilobytes
    started = time.perf_counter()
    result = read_bank(path)
    assert time.perf_counter() - started < 1
    assert result.bank is None
    [problem] = result.problems
    assert problem.file == str(path) and problem.row is None
    assert SHEET in problem.message and "压缩" in problem.message
    assert len(str(problem)) < 300


def test_a_workbook_over_the_unpacked_limit_is_refused_whatever_its_ratio(tmp_path: Path) -> None:
    rng = random.Random(11)
    rows = [HEADER, *(["判断", "".join(rng.choice("党员支部学习组织建设") for _ in range(60)), None, None, "对"]
                      for _ in range(300))]
    path = workbook(tmp_path / "big.xlsx", rows)
    assert read_bank(path).bank is not None  # under the default limits it is a good bank
    result = read_bank(path, limits=Limits(unpacked_bytes=20 << 10))
    [problem] = result.problems
    assert result.bank is None and "解压后" in problem.message and "20 KB" in problem.message


@pytest.mark.parametrize("zip64", [False, True])
def test_a_workbook_listing_too_many_parts_is_refused_before_the_list_is_read(tmp_path: Path, zip64: bool) -> None:
    """zipfile turns every entry of the central directory into an object: a 64 MB file of empty entries would be
    700,000 of them. Long names make the directory large with a few entries."""
    path = workbook(tmp_path / "parts.xlsx", [HEADER, GOOD_ROW])
    with zipfile.ZipFile(path, "a") as archive:
        for n in range(20):
            archive.writestr(zipfile.ZipInfo(f"{n:02d}" + "x" * 60_000), b"")
    if zip64:  # the end record then says 0xFFFFFFFF and points to a ZIP64 record that holds the size
        data = bytearray(path.read_bytes())
        end = data.rfind(b"PK\x05\x06")
        directory, offset = data[end + 12:end + 16], data[end + 16:end + 20]
        entries = int.from_bytes(data[end + 10:end + 12], "little")
        record = (b"PK\x06\x06" + (44).to_bytes(8, "little") + (45).to_bytes(2, "little") * 2 + bytes(8)
                  + entries.to_bytes(8, "little") * 2 + bytes(directory) + bytes(4) + bytes(offset) + bytes(4))
        locator = b"PK\x06\x07" + bytes(4) + end.to_bytes(8, "little") + (1).to_bytes(4, "little")
        data[end + 12:end + 16] = b"\xff" * 4
        path.write_bytes(bytes(data[:end]) + record + locator + bytes(data[end:]))
    result = read_bank(path)
    assert result.bank is None
    assert "文件目录有 1.1 MB" in result.problems[0].message


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text(",".join(HEADER) + "\n" + ",".join(GOOD_ROW) + "\n" * 5000, encoding="utf-8")
    result = read_bank(path, limits=Limits(file_bytes=4096))
    assert result.bank is None
    assert "文件过大" in result.problems[0].message


def test_rows_of_a_sheet_are_as_wide_as_their_last_value_whatever_its_dimension_says(tmp_path: Path) -> None:
    """A sheet may claim to be 16,384 columns wide (A1:XFD…): openpyxl would pad every row to that width."""
    path = workbook(tmp_path / "wide.xlsx", [HEADER, *([*GOOD_ROW[:1], f"第{n}题（）。", *GOOD_ROW[2:]]
                                                      for n in range(400))])
    claims_wide = patched(path, SHEET, b'<dimension ref="A1:E401" />', b'<dimension ref="A1:XFD401" />')
    tracemalloc.start()
    try:
        result = read_bank(claims_wide)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.problems == [] and len(result.bank.questions) == 400
    assert peak < 20_000_000  # padded, 400 rows of 16,384 cells held 52 MB


def test_a_sheet_with_a_value_past_the_row_limit_is_refused_with_its_row(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(GOOD_ROW)
    book.active.cell(row=MAX_ROWS + 1, column=2, value="远处的一格")
    path = tmp_path / "far.xlsx"
    book.save(path)
    result = read_bank(path)
    assert result.bank is None
    assert f"超过 {MAX_ROWS} 行" in result.problems[0].message


def test_a_roster_workbook_bomb_is_refused_and_nothing_is_imported(cli_config: Path, tmp_path: Path) -> None:
    path = patched(workbook(tmp_path / "名册.xlsx", [["姓名", "支部"], ["@@", "第一支部"]]), SHEET, b"@@",
                   "张三".encode() * 1_000_000)
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    [message] = caught.value.problems
    assert message.startswith(f"{path.name}：") and "压缩" in message and len(message) < 300
    result = runner.invoke(build_cli(), ["members", "import", str(path), "--config", str(cli_config)])
    assert result.exit_code == 1 and "压缩" in result.output
    listed = runner.invoke(build_cli(), ["members", "list", "--config", str(cli_config)])
    assert "张三" not in listed.output


def test_a_roster_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "名册.csv"
    path.write_text("姓名,支部\n" + "张三,第一支部\n" * 500, encoding="utf-8")
    with pytest.raises(RosterError, match="名册.csv：文件过大"):
        read_roster(path, limits=Limits(file_bytes=1000))


# ---------------------------------------------------------------- cell length


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_question_longer_than_the_cell_limit_is_refused_with_its_row(tmp_path: Path, suffix: str) -> None:
    rows = [HEADER, GOOD_ROW, ["单选", "题" * (MAX_CELL_CHARS + 1), "甲", "乙" * (MAX_CELL_CHARS + 5), "A"]]
    path = tmp_path / f"long{suffix}"
    if suffix == ".csv":
        path.write_text("\n".join(",".join(map(str, row)) for row in rows), encoding="utf-8")
    else:
        workbook(path, rows)
    result = read_bank(path)
    assert result.bank is None
    assert [(p.row, p.message) for p in result.problems] == [
        (3, f"「题干」过长（{MAX_CELL_CHARS + 1} 字，最多 {MAX_CELL_CHARS} 字）"),
        (3, f"「选项B」过长（{MAX_CELL_CHARS + 5} 字，最多 {MAX_CELL_CHARS} 字）")]


def test_a_long_cell_is_not_echoed_in_other_messages(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text(",".join(HEADER) + "\n" + f"{'单选' * 30_000},题干（）,甲,乙,{'Z' * 100_000}\n", encoding="utf-8")
    result = read_bank(path)
    assert result.bank is None
    assert all(len(str(p)) < 200 for p in result.problems), [str(p)[:200] for p in result.problems]
    assert "「题型」过长" in result.problems[0].message


def test_a_csv_field_past_the_csv_module_limit_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(",".join(HEADER) + "\n" + ",".join(GOOD_ROW) + "\n" + f'单选,"{"长" * 200_000}",甲,乙,A\n',
                    encoding="utf-8")
    result = read_bank(path)
    assert result.bank is None
    [problem] = result.problems
    assert problem.row == 3 and "过长" in problem.message and len(str(problem)) < 200


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_long_text_in_json_and_yaml_banks_is_refused_with_its_question_number(tmp_path: Path, suffix: str) -> None:
    questions = [{"type": "judge", "question": "党员有退党的自由。", "answer": "对"},
                 {"type": "single", "question": "哪一个？", "options": ["甲", "乙" * (MAX_CELL_CHARS + 1)],
                  "answer": "A"}]
    path = tmp_path / f"bank{suffix}"
    path.write_text(json.dumps({"name": "长", "questions": questions}, ensure_ascii=False), encoding="utf-8")
    result = read_bank(path)
    assert result.bank is None
    [problem] = result.problems
    assert problem.question_no == 2 and "过长" in problem.message and len(str(problem)) < 200


# ---------------------------------------------------------------- JSON nesting


def test_a_json_bank_nested_thousands_deep_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"questions":\n' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    result = read_bank(path)
    assert result.bank is None
    [problem] = result.problems
    assert str(problem) == f"{path}: 第 2 行：JSON 嵌套超过 {MAX_DEPTH} 层（正常的数据只有几层）"


def test_json_nested_just_within_the_limit_reads_as_usual(tmp_path: Path) -> None:
    question = {"type": "blank", "question": "（）", "answer": "一", "topic": "x"}
    value: object = "x"
    for _ in range(MAX_DEPTH - 3):  # the list, the question object and this value's own brackets
        value = [value]
    question["extra"] = value
    path = tmp_path / "ok.json"
    path.write_text(json.dumps([question]), encoding="utf-8")
    assert read_bank(path).problems == []


def test_brackets_inside_json_strings_are_text_not_nesting(tmp_path: Path) -> None:
    path = tmp_path / "brackets.json"
    stem = "[" * 40 + '括号\\"{{{（）' + "{" * 40
    path.write_text(json.dumps([{"type": "blank", "question": stem, "answer": "一"}], ensure_ascii=False),
                    encoding="utf-8")
    result = read_bank(path)
    assert result.problems == [] and result.bank.questions[0].text == stem


# ---------------------------------------------------------------- YAML aliases and nesting


def test_an_alias_bomb_in_the_config_gets_one_short_line(tmp_path: Path) -> None:
    path = tmp_path / "studybot.yaml"
    path.write_text(billion_laughs() + "meetings:\n  types:\n    支委会: {period: *i}\n", encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert time.perf_counter() - started < 1
    message = str(caught.value)
    assert message.startswith(f"配置文件 {path} 第 5 行：YAML 别名 *d 展开后超过") and "别名炸弹" in message
    assert len(message) < 200 and "\n" not in message


def test_a_small_alias_bomb_is_refused_before_its_echo_grows(tmp_path: Path) -> None:
    """Six levels (531,441 strings) printed a 3.8 MB error through a validator that quotes what it got."""
    path = tmp_path / "studybot.yaml"
    path.write_text(billion_laughs() + "meetings:\n  types:\n    支委会: {period: *f}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert len(str(caught.value)) < 200


def test_anchors_and_merge_keys_of_an_ordinary_config_still_work(tmp_path: Path) -> None:
    path = tmp_path / "studybot.yaml"
    path.write_text("groups:\n  一群: &branch 第一党支部\n  二群: *branch\n"
                    "quizzes: &q {time_limit: 40}\n", encoding="utf-8")
    settings = load_settings(path)
    assert settings.groups == {"一群": "第一党支部", "二群": "第一党支部"}
    assert settings.quizzes.time_limit == 40


def test_config_nested_thousands_deep_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "studybot.yaml"
    path.write_text("groups: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert f"嵌套超过 {MAX_DEPTH} 层" in str(caught.value) and len(str(caught.value)) < 200


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "studybot.yaml"
    path.write_text("groups: &g [*g]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="别名"):
        load_settings(path)


def test_an_alias_bomb_in_a_bank_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bank.yaml"
    path.write_text(billion_laughs() + "name: 炸弹\nquestions:\n  - {type: blank, question: '（）', answer: *i}\n",
                    encoding="utf-8")
    bank, problems = load_bank_file(path)
    assert bank is None
    [problem] = problems
    assert "别名" in problem.message and len(str(problem)) < 200


def test_an_alias_bomb_in_a_study_item_header(tmp_path: Path) -> None:
    text = f"---\n{billion_laughs()}title: 标题\ntags: *i\n---\n正文\n"
    with pytest.raises(ItemError) as caught:
        parse_item(text, tmp_path / "a.md", tmp_path)
    assert "别名" in caught.value.message and len(str(caught.value)) < 200


def test_an_alias_bomb_in_a_plan_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(billion_laughs() + "plans:\n  - {name: 炸弹, when: 每周一 09:00, to: *i, items: [a]}\n",
                    encoding="utf-8")
    entries, problems = load_plan_file(path, parse_when=lambda text, shift: text, item_ids=lambda ref: ref,
                                       folder_ids=lambda name: [])
    assert entries == []
    [problem] = problems
    assert "别名" in problem.message and len(str(problem)) < 200


def test_an_alias_bomb_in_a_meeting_file(tmp_path: Path) -> None:
    path = tmp_path / "meetings.yaml"
    path.write_text(billion_laughs() + "meetings: *i\n", encoding="utf-8")
    entries, problems = meeting_files._entries(path)
    assert entries == []
    [problem] = problems
    assert str(path) in problem and "别名" in problem and len(problem) < 200


def test_the_bomb_helpers_build_what_they_claim() -> None:
    """The small bombs above are what a real one is, only smaller (or caught by the same rule)."""
    assert billion_laughs().count("*h") == 9
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("x", "党" * 2_000_000)
    [info] = zipfile.ZipFile(buffer).infolist()
    assert info.file_size / info.compress_size > 500
