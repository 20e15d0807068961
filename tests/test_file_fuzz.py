"""Property tests (issue 14): arbitrary Unicode fed to the answer reader, the bank importers (YAML, JSON, CSV,
Excel), the roster reader and the settings loader gets a result or a clean refusal with a message, never an
exception. The inputs mix random text with the shapes these files really have, so most examples get past the
first check and reach the deeper code."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.services.roster_file import RosterError, RosterFileMissing, read_roster
from bot.settings import ConfigError, Settings, load_settings
from quizzes.bank_io import read_bank
from quizzes.grading import grade, looks_like_answer, looks_like_chatter, parse_choice, parse_judge, read_answer
from quizzes.model import Question, QuestionType

_TRICKY = st.sampled_from(["\u200b", "\ufeff", "\u3000", "\x00", "\x1b", "\r\n", "'", '"', "=", "@", "-", "#", ":",
                           "：", "、", "Ａ", "①", "对", "错", "A", "ABCD", "第十九大", "〇", "一百", "%", "{",
                           "[", "&a", "*a"])
_TEXT = st.lists(st.one_of(st.text(max_size=10), _TRICKY), max_size=6).map("".join)
_CELL = st.one_of(_TEXT, st.integers(-10**12, 10**12), st.floats(allow_nan=True), st.booleans(), st.none())
_ids = itertools.count()
_FUZZ = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

QUESTIONS = [
    Question(QuestionType.SINGLE, "党的最高理想是？", "A", ("实现共产主义", "全面小康", "现代化", "民族复兴")),
    Question(QuestionType.MULTIPLE, "三会一课包括？", "ABC", ("支部党员大会", "支委会", "党小组会", "茶话会")),
    Question(QuestionType.JUDGE, "预备党员的预备期为一年。", "对"),
    Question.blank("党的二十大于____年召开，主题是____。", [["2022", "二〇二二"], ["高举旗帜"]]),
]


@_FUZZ
@given(text=_TEXT)
def test_any_text_is_read_as_an_answer_or_not_never_an_exception(text: str) -> None:
    choice = parse_choice(text, 4)
    assert choice is None or (choice and set(choice) <= set("ABCD"))
    assert parse_judge(text) in (None, "对", "错")
    assert isinstance(looks_like_answer(text), bool) and isinstance(looks_like_chatter(text, 8), bool)
    for question in QUESTIONS:
        read = read_answer(question, text)
        assert read is None or isinstance(read, str)
        verdict = grade(question, text)
        assert isinstance(verdict.correct, bool)


def _bank_entry(text: str, answer: object, options: object, kind: object) -> dict[str, object]:
    return {"type": kind, "text": text, "answer": answer, "options": options}


_KIND = st.one_of(st.sampled_from(["single", "multiple", "judge", "blank", "单选", "多选", "判断", "填空"]), _CELL)
_ENTRY = st.builds(_bank_entry, _TEXT, st.one_of(_CELL, st.lists(_TEXT, max_size=3)),
                   st.one_of(st.lists(_TEXT, max_size=5), _CELL), _KIND)
_DOC = st.one_of(
    st.fixed_dictionaries({"name": _CELL, "questions": st.lists(_ENTRY, max_size=4)}),
    st.lists(_ENTRY, max_size=3), _CELL)


def _read_bank_or_problems(path: Path) -> None:
    result = read_bank(path)
    if result.bank is None:
        assert result.problems, path.read_bytes()[:200]
        assert all(str(problem) for problem in result.problems)
    else:
        assert result.bank.name and all(q.text for q in result.bank.questions)


@_FUZZ
@given(doc=_DOC, raw=_TEXT, as_text=st.booleans())
def test_any_yaml_or_json_bank_is_read_or_refused_with_problems(tmp_path: Path, doc: object, raw: str,
                                                                as_text: bool) -> None:
    n = next(_ids)
    for suffix, dump in ((".yaml", lambda d: yaml.safe_dump(d, allow_unicode=True)),
                         (".json", lambda d: json.dumps(d, ensure_ascii=False))):
        path = tmp_path / f"bank{n}{suffix}"
        path.write_text(raw if as_text else dump(doc), encoding="utf-8", errors="surrogatepass")
        _read_bank_or_problems(path)


_HEADER_WORDS = ["题型", "题目", "选项A", "选项B", "选项C", "答案", "解析", "分值"]
_HEADERS = st.lists(st.one_of(st.sampled_from(_HEADER_WORDS), _TEXT), min_size=1, max_size=8)


@_FUZZ
@given(headers=_HEADERS, rows=st.lists(st.lists(_CELL, max_size=8), max_size=4), raw=_TEXT, as_text=st.booleans())
def test_any_csv_or_excel_bank_is_read_or_refused_with_problems(tmp_path: Path, headers: list[str],
                                                                rows: list[list[object]], raw: str,
                                                                as_text: bool) -> None:
    from openpyxl import Workbook

    n = next(_ids)
    csv_path = tmp_path / f"bank{n}.csv"
    lines = [",".join(json.dumps(str(v), ensure_ascii=False) for v in row) for row in [headers, *rows]]
    csv_path.write_bytes((raw if as_text else "\n".join(lines)).encode("utf-8", "surrogatepass"))
    _read_bank_or_problems(csv_path)
    book = Workbook()
    for row in [headers, *rows]:
        book.active.append([_cell_for_excel(v) for v in row])
    xlsx_path = tmp_path / f"bank{n}.xlsx"
    book.save(xlsx_path)
    _read_bank_or_problems(xlsx_path)


def _cell_for_excel(value: object) -> object:
    """What a person can type into a cell: Excel itself cannot hold control characters or lone surrogates."""
    if isinstance(value, str):
        return "".join(ch for ch in value if ch >= " " and not 0xD800 <= ord(ch) <= 0xDFFF) or None
    return value


_ROSTER_WORDS = ["姓名", "支部", "职务", "党员类别", "党小组", "企业微信", "钉钉"]
_ROSTER_HEADERS = st.lists(st.one_of(st.sampled_from(_ROSTER_WORDS), _TEXT), min_size=1, max_size=7)


@_FUZZ
@given(headers=_ROSTER_HEADERS, rows=st.lists(st.lists(_TEXT, max_size=7), max_size=5), raw=_TEXT,
       as_text=st.booleans())
def test_any_roster_is_read_or_refused_with_the_rows_named(tmp_path: Path, headers: list[str], rows: list[list[str]],
                                                          raw: str, as_text: bool) -> None:
    path = tmp_path / f"roster{next(_ids)}.csv"
    lines = [",".join(json.dumps(v, ensure_ascii=False) for v in row) for row in [headers, *rows]]
    path.write_bytes((raw if as_text else "\n".join(lines)).encode("utf-8", "surrogatepass"))
    try:
        members = read_roster(path)
    except RosterError as exc:
        assert str(exc).strip()
    except RosterFileMissing as exc:  # pragma: no cover - the file was just written
        pytest.fail(str(exc))
    else:
        assert all(member.name for member in members)


_SECTIONS = ["database", "channels", "quizzes", "schedule", "meetings", "wecom", "dingtalk", "wechat_mp", "web",
             "timezone", "scoring", "content", "logging"]
_KEYS = ["url", "enabled", "default_bank", "time_limit", "files", "plans", "token", "encoding_aes_key", "corp_id",
         "client_id", "client_secret", "port", "host", "busy_timeout", "acknowledge_up_to", "scored_by", "local"]
_VALUE = st.recursive(_CELL, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.sampled_from(_KEYS), inner, max_size=3)),
                      max_leaves=6)
_CONFIG = st.dictionaries(st.one_of(st.sampled_from(_SECTIONS), _TEXT),
                          st.one_of(_VALUE, st.dictionaries(st.sampled_from(_KEYS), _VALUE, max_size=4)), max_size=4)


@_FUZZ
@given(config=_CONFIG, raw=_TEXT, as_text=st.booleans())
def test_any_config_file_loads_or_is_refused_in_one_chinese_line(tmp_path: Path, config: dict[str, object],
                                                                 raw: str, as_text: bool) -> None:
    path = tmp_path / f"studybot{next(_ids)}.yaml"
    text = raw if as_text else yaml.safe_dump(config, allow_unicode=True)
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        loaded = load_settings(path)
    except ConfigError as exc:
        message = str(exc)
        assert message.strip() and "Traceback" not in message
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    else:
        assert isinstance(loaded, Settings)
