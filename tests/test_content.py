"""The study library (content/): item files, loading and ordering, lookup, rendering for chat, search."""

from __future__ import annotations

import datetime
import re
import subprocess
import sys
from pathlib import Path

import pytest

from content.items import ItemError, StudyItem, parse_item, render_item
from content.library import Library, bundled_dir, load_library
from content.search import Hit, SearchIndex, search

ROOT = Path(__file__).resolve().parents[1]


def write_item(directory: Path, name: str, *, title: str = "测试资料", body: str = "正文内容。", **header: str) -> Path:
    lines = ["---", f"title: {title}"] + [f"{key}: {value}" for key, value in header.items()] + ["---", body]
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def make_item(body: str, *, link: str | None = None, title: str = "标题", summary: str = "摘要。") -> StudyItem:
    return StudyItem(id="x", title=title, tags=("t",), source="来源甲", date=None, summary=summary, link=link,
                     points=None, body=body, folder="", path=Path("x.md"))


@pytest.fixture(scope="module")
def bundled() -> Library:
    result = load_library([bundled_dir()])
    assert result.errors == []
    return result.library


# --- the bundled library -----------------------------------------------------------------------------------------

def test_bundled_library_items_are_complete(bundled: Library) -> None:
    assert len(bundled) >= 14
    for item in bundled:
        assert item.title and item.summary and item.tags and item.body and item.source, item.id
        assert all(tag.strip() for tag in item.tags)
        assert isinstance(item.date, datetime.date)
        assert re.fullmatch(r"[0-9a-z-]+", item.path.stem), item.path  # ASCII file names
        assert 300 <= len(re.sub(r"\s", "", item.body)) <= 600, item.id


def test_bundled_library_order_root_first_then_folder(bundled: Library) -> None:
    ids = bundled.ids()
    root = [i for i in ids if "/" not in i]
    assert ids[:len(root)] == sorted(root)
    history = bundled.folder("党史学习")
    assert len(history) == 4
    assert ids[len(root):] == [item.id for item in history]
    assert [item.id for item in history] == sorted(f"党史学习/{item.stem}" for item in history)
    assert all(item.folder == "党史学习" and item.id.startswith("党史学习/") for item in history)
    assert bundled.folders() == ["党史学习"]
    assert [item.id for item in bundled.folder("")] == root
    assert list(bundled) == list(bundled.items)


def test_content_imports_no_bot_and_loads_no_jieba() -> None:
    code = ("import sys, content.items, content.library, content.search; "
            "assert not [m for m in sys.modules if m == 'bot' or m.startswith('bot.')]; "
            "assert 'jieba' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


# --- parsing -----------------------------------------------------------------------------------------------------

def test_parse_full_header(tmp_path: Path) -> None:
    text = ("\ufeff---\r\ntitle: 三会一课\r\ntags: [三会一课, 组织生活, 三会一课]\r\nsource: 《条例》\r\n"
            "date: 2026-03-01\r\nsummary: 概括。\r\nlink: https://example.org/a\r\npoints: 0\r\n---\r\n\r\n# 正文\r\n")
    item = parse_item(text, tmp_path / "sub" / "01-a.md", tmp_path)
    assert item == StudyItem(id="sub/01-a", title="三会一课", tags=("三会一课", "组织生活"), source="《条例》",
                             date=datetime.date(2026, 3, 1), summary="概括。", link="https://example.org/a",
                             points=0, body="# 正文", folder="sub", path=tmp_path / "sub" / "01-a.md")
    assert item.stem == "01-a"


def test_parse_optional_fields_and_single_tag(tmp_path: Path) -> None:
    item = parse_item("---\ntitle: no\ntags: 党章\n---\n正文\n", tmp_path / "a.md", tmp_path)
    assert (item.id, item.folder, item.title, item.tags) == ("a", "", "no", ("党章",))
    assert (item.date, item.link, item.points, item.summary, item.source) == (None, None, None, "", "")


BAD_HEADERS = [
    ("正文，没有头部\n", 1, "缺少头部"),
    ("---\ntitle: x\n正文\n", 1, "头部没有结束"),
    ("---\ntitle: x\nsummary: a: b\n---\n正文\n", 3, "头部 YAML 格式错误"),
    ("---\ntitle: x\ntags: [a, b\n---\n正文\n", 3, "头部 YAML 格式错误"),
    ("---\n- title\n- tags\n---\n正文\n", 2, "头部应为「字段: 值」的形式"),
    ("---\ntags: [a]\n---\n正文\n", 3, "缺少 title"),
    ("---\n---\n正文\n", 2, "缺少 title"),
    ("---\nsource: s\ntitle:\n---\n正文\n", 3, "title 为空"),
    ("---\ntitle: '  '\n---\n正文\n", 2, "title 为空"),
    ("---\ntitle: x\ntags: {a: 1}\n---\n正文\n", 3, "tags 应为文字列表"),
    ("---\ntitle: x\ntags: [a, 2026]\n---\n正文\n", 3, "tags 应为文字列表"),
    ("---\ntitle: x\ntags:\n  - a\n  - [b]\n---\n正文\n", 3, "tags 应为文字列表"),
    ("---\ntitle: x\ndate: 2026-13-01\n---\n正文\n", 3, "date 应为有效日期"),
    ("---\ntitle: x\ndate: 2026-3-1\n---\n正文\n", 3, "date 应为有效日期"),
    ("---\ntitle: x\ndate: 2026年3月1日\n---\n正文\n", 3, "date 应为有效日期"),
    ("---\ntitle: x\n\npoints: -1\n---\n正文\n", 4, "points 应为不小于 0 的整数"),
    ("---\ntitle: x\npoints: 1.5\n---\n正文\n", 3, "points 应为不小于 0 的整数"),
    ("---\ntitle: x\npoints: '2'\n---\n正文\n", 3, "数字不要加引号"),
    ("---\ntitle: x\npoints: [2]\n---\n正文\n", 3, "points 应为不小于 0 的整数"),
    ("---\ntitle: x\ntitel: y\n---\n正文\n", 3, "未知的字段 titel"),
    ("---\ntitle: x\ntitle: y\n---\n正文\n", 3, "字段 title 重复"),
    ("---\ntitle: x\nlink: www.example.org\n---\n正文\n", 3, "link 应以 http:// 或 https:// 开头"),
    ("---\ntitle: x\n---\n\n   \n", 4, "正文为空"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD_HEADERS)
def test_bad_file_is_reported_with_line_and_skipped(tmp_path: Path, text: str, line: int, message: str) -> None:
    write_item(tmp_path, "01-good.md")
    bad = tmp_path / "02-bad.md"
    bad.write_text(text, encoding="utf-8")
    result = load_library([tmp_path])
    assert result.library.ids() == ["01-good"]
    [error] = result.errors
    assert (error.path, error.line) == (bad, line)
    assert message in error.message
    assert str(error) == f"{bad} 第 {line} 行：{error.message}"


def test_error_text_names_the_path_as_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "content" / "library" / "x.md"
    with pytest.raises(ItemError) as caught:
        parse_item("---\ntags: [a]\n---\n正文\n", path, path.parent)
    assert str(caught.value) == "content/library/x.md 第 3 行：缺少 title"
    assert str(ItemError(Path("/elsewhere/y.md"), None, "目录不存在")) == "/elsewhere/y.md：目录不存在"


def test_undecodable_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_bytes("---\ntitle: 标题\n---\n正文\n".encode("gbk"))
    result = load_library([tmp_path])
    assert len(result.library) == 0
    assert [e.message for e in result.errors] == ["不是 UTF-8 编码的文本文件"]


# --- loading and ordering ----------------------------------------------------------------------------------------

def test_order_root_files_then_folders_then_later_dirs(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    for name in ["b.md", "a.md", "z/02.md", "z/01.md", "y/09.md", "y/深/01.md"]:
        write_item(first, name)
    write_item(first, "README.md", body="说明")
    write_item(first, "_draft.md")
    write_item(first, ".hidden/a.md")
    (first / "notes.txt").write_text("not an item", encoding="utf-8")
    write_item(second, "c.md")
    result = load_library([first, second])
    assert result.errors == []
    assert result.library.ids() == ["a", "b", "y/09", "y/深/01", "z/01", "z/02", "c"]
    assert [item.id for item in result.library.folder("z")] == ["z/01", "z/02"]
    assert result.library.folder("none") == []


def test_duplicate_id_across_dirs_is_reported(tmp_path: Path) -> None:
    write_item(tmp_path / "one", "a.md", title="第一份")
    later = write_item(tmp_path / "two", "a.md", title="第二份")
    write_item(tmp_path / "two", "b.md")
    result = load_library([tmp_path / "one", tmp_path / "two"])
    assert result.library.ids() == ["a", "b"]
    assert result.library.get("a").title == "第一份"
    [error] = result.errors
    assert error.path == later and error.line is None
    assert re.fullmatch(r"id「a」与 .*one/a\.md 重复，已跳过", error.message)


def test_missing_dir_is_an_error(tmp_path: Path) -> None:
    write_item(tmp_path / "one", "a.md")
    result = load_library([tmp_path / "missing", tmp_path / "one"])
    assert result.library.ids() == ["a"]
    assert [(e.path, e.message) for e in result.errors] == [(tmp_path / "missing", "学习资料目录不存在")]


def test_library_rejects_duplicate_ids() -> None:
    with pytest.raises(ValueError):
        Library([make_item("a"), make_item("b")])


# --- lookup ------------------------------------------------------------------------------------------------------

def test_get_by_id_stem_title_and_fragment(bundled: Library) -> None:
    zunyi = bundled.get("党史学习/02-zunyi-huiyi")
    assert zunyi is not None and zunyi.title.startswith("遵义会议")
    assert bundled.get("02-zunyi-huiyi") is zunyi
    assert bundled.get("02-ZUNYI-huiyi.md") is zunyi
    assert bundled.get(zunyi.title) is zunyi
    assert bundled.get("  遵义 ") is zunyi
    assert bundled.get("三会一课制度要点").id == "02-sanhui-yike"
    assert "02-sanhui-yike" in bundled


def test_get_ambiguous_or_unknown_is_none(bundled: Library, tmp_path: Path) -> None:
    assert bundled.get("党") is None  # in many titles
    assert bundled.get("不存在的资料") is None
    assert bundled.get("") is None
    write_item(tmp_path, "a/x.md", title="甲")
    write_item(tmp_path, "b/x.md", title="乙")
    library = load_library([tmp_path]).library
    assert library.get("x") is None
    assert library.get("b/x").title == "乙"


# --- rendering ---------------------------------------------------------------------------------------------------

def test_render_short_item_strips_markdown() -> None:
    body = "## 小标题\n\n- **要点一**：内容。\n* 要点二\n\n\n\n段落 [链接](https://e.org/)。"
    text = render_item(make_item(body, link="https://e.org/item"))
    assert text == ("📖 标题\n摘要。\n\n小标题\n\n- 要点一：内容。\n- 要点二\n\n段落 链接（https://e.org/）。\n"
                    "来源：来源甲\nhttps://e.org/item")


def test_render_cuts_at_line_boundary() -> None:
    body = "\n".join(f"第{i}行内容写在这里。" for i in range(100))
    text = render_item(make_item(body, link="https://e.org/item"), max_chars=100)
    kept = text.split("\n\n", 1)[1].split("……（全文见链接）")[0]
    assert len(kept) <= 100 and kept.endswith("行内容写在这里。")
    assert text.endswith("……（全文见链接）\n来源：来源甲\nhttps://e.org/item")


def test_render_cuts_at_sentence_without_link() -> None:
    body = "这是一句话。" * 50  # one long line
    text = render_item(make_item(body), max_chars=40)
    assert text == "📖 标题\n摘要。\n\n" + "这是一句话。" * 6 + "……\n来源：来源甲"


def test_render_hard_cut_when_no_boundary() -> None:
    text = render_item(make_item("字" * 500, summary=""), max_chars=30)
    assert text == "📖 标题\n\n" + "字" * 30 + "……\n来源：来源甲"


def test_render_bundled_items_fit(bundled: Library) -> None:
    for item in bundled:
        text = render_item(item)
        assert text.startswith(f"📖 {item.title}\n{item.summary}\n\n")
        assert "#" not in text and "**" not in text
        assert "……" not in text  # every bundled item fits into one message


# --- search ------------------------------------------------------------------------------------------------------

def test_search_sanhui_yike_first(bundled: Library) -> None:
    hits = search(bundled, "三会一课")
    assert hits[0].item.id == "02-sanhui-yike"
    assert all(isinstance(hit, Hit) and hit.score > 0 for hit in hits)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)
    assert search(bundled, "什么是三会一课？")[0].item.id == "02-sanhui-yike"


def test_search_lianjie_finds_qinglian(bundled: Library) -> None:
    assert search(bundled, "廉洁")[0].item.id == "05-qinglian-wenhua"


@pytest.mark.parametrize(("query", "expected"), [
    ("遵义会议", "党史学习/02-zunyi-huiyi"),
    ("主题党日", "03-zhuti-dangri"),
    ("八项规定", "10-zuofeng-jianshe"),
    ("民主评议党员", "04-zuzhi-shenghuohui"),
    ("两个务必", "党史学习/04-xibaipo-liangge-wubi"),
    ("中国式现代化", "12-ershida-jingshen"),
])
def test_search_finds_the_topic(bundled: Library, query: str, expected: str) -> None:
    assert search(bundled, query)[0].item.id == expected


def test_search_nonsense_and_blank_return_nothing(bundled: Library) -> None:
    assert search(bundled, "ｘｙｚ") == []
    assert search(bundled, "   ") == []
    assert search(bundled, "的") == []
    assert search(bundled, "三会一课", limit=0) == []


def test_search_title_beats_body_only(tmp_path: Path) -> None:
    write_item(tmp_path, "a.md", title="学习资料", body="按时交纳党费。" * 20, tags="[学习]")
    write_item(tmp_path, "b.md", title="党费交纳须知", body="每月按规定办理。", tags="[须知]")
    write_item(tmp_path, "c.md", title="其他", body="无关内容。")
    library = load_library([tmp_path]).library
    assert [hit.item.id for hit in search(library, "党费")] == ["b", "a"]
    assert [hit.item.id for hit in search(library, "交纳 党费")] == ["b", "a"]  # not verbatim in the title


def test_search_is_deterministic(bundled: Library, tmp_path: Path) -> None:
    first = search(bundled, "党支部 组织生活", limit=10)
    assert first == search(bundled, "党支部 组织生活", limit=10)
    assert first == SearchIndex(bundled).search("党支部 组织生活", limit=10)
    assert len(search(bundled, "党员", limit=3)) == 3
    write_item(tmp_path, "b.md", body="党员学习党章。")
    write_item(tmp_path, "a.md", body="党员学习党章。")
    library = load_library([tmp_path]).library
    hits = search(library, "党章")
    assert [hit.item.id for hit in hits] == ["a", "b"] and hits[0].score == hits[1].score
