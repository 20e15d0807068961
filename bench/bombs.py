"""What real-size resource bombs cost now that safeio refuses them, and what real files need of the limits.

    .venv/bin/python bench/bombs.py [--rows 100000] [--keep DIR]

Each case runs in a fresh process, so its peak RSS is its own. The bombs are those of issue 11: an .xlsx of about
1.5 MB whose one cell unpacks to 1.5 GB (it made an import peak at 3.1 GB, then succeed), YAML nine aliases deep in
studybot.yaml (336 MB and a multi-megabyte error), a JSON bank nested 100,000 deep (a RecursionError), a sheet
claiming to be 16,384 columns wide (openpyxl pads every row to it), and a workbook listing 600,000 empty parts
(zipfile makes an object of each). The honest files: a bank of --rows questions
as .xlsx (its unpacked size and compression ratio against the limits, read time, peak) and the public 党史 bank.
Goal: every bomb refused in under a second below 100 MB RSS; the honest files read well inside the limits."""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import common

from safeio.limits import DEFAULT_LIMITS, MAX_RATIO

PUBLIC_BANK = common.ROOT.parent / "shared" / "data" / "public-banks" / "dangshi-1486.json"
HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析"]
SHEET = "xl/worksheets/sheet1.xml"


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("题库")
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def xlsx_bomb(folder: Path) -> Path:
    """A workbook whose one cell is 1.5 GB of text: written part by part, so building it needs no memory."""
    plain = _workbook(folder / "plain.xlsx", [HEADER, ["单选", "@@", "甲", "乙", "丙", "丁", "A", ""]])
    path = folder / "bomb.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename != SHEET:
                target.writestr(item, data)
                continue
            head, tail = data.split(b"@@")
            with target.open(SHEET, "w", force_zip64=True) as part:
                part.write(head)
                chunk = "党".encode() * (1 << 20)  # 3 MB
                for _ in range(500):  # 1.5 GB
                    part.write(chunk)
                part.write(tail)
    return path


def wide_sheet(folder: Path) -> Path:
    rows = [HEADER, *(["判断", f"第{n}题。", None, None, None, None, "对", ""] for n in range(20_000))]
    path = _workbook(folder / "rows.xlsx", rows)
    wide = folder / "wide.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(wide, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == SHEET:  # write_only workbooks carry no <dimension>: add one that lies
                data = data.replace(b"<sheetData>", b'<dimension ref="A1:XFD20001"/><sheetData>', 1)
            target.writestr(item, data)
    return wide


def many_parts(folder: Path) -> Path:
    """Just under the 64 MB file limit: a workbook followed by 600,000 empty parts."""
    path = _workbook(folder / "parts.xlsx", [HEADER, ["判断", "党员有退党的自由。", None, None, None, None, "对", ""]])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as archive:
        for n in range(600_000):
            archive.writestr(f"p/{n:06d}", b"")
    return path


def honest_bank(folder: Path, rows: int) -> Path:
    rng = random.Random(11)
    words = "党的建设组织支部学习理论实践社会主义中国特色制度民主集中群众路线"

    def text(n: int) -> str:
        return "".join(rng.choice(words) for _ in range(n))

    return _workbook(folder / "honest.xlsx", [HEADER, *(["单选", text(40) + str(n), text(10), text(10), text(10),
                                                        text(10), "A", text(60)] for n in range(rows))])


def read(path: Path) -> str:
    from quizzes.bank_io import read_bank

    result = read_bank(path)
    if result.bank is not None:
        return f"read {len(result.bank.questions)} questions"
    return f"refused: {str(result.problems[0])[-140:]}"


def config_bomb(folder: Path) -> str:
    from bot.settings import ConfigError, load_settings

    lines = ['a: &a ["哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈"]']
    for level in range(1, 9):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    path = folder / "studybot.yaml"
    path.write_text("\n".join(lines) + "\nmeetings:\n  types:\n    支委会: {period: *i}\n", encoding="utf-8")
    try:
        load_settings(path)
    except ConfigError as exc:
        return f"refused, {len(str(exc))} characters: {str(exc)[-90:]}"
    return "accepted"


def deep_json(folder: Path) -> Path:
    path = folder / "deep.json"
    path.write_text('{"questions": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    return path


def _child(case: Callable[[], str], queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    started = time.perf_counter()
    outcome = case()
    queue.put((outcome, time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def measure(name: str, case: Callable[[], str]) -> None:
    context = multiprocessing.get_context("fork")  # the case closes over paths built here
    queue = context.Queue()
    process = context.Process(target=_child, args=(case, queue))
    process.start()
    outcome, seconds, peak_kb = queue.get()
    process.join()
    print(f"{name:<34} {seconds:7.2f} s  peak {peak_kb / 1024:7.0f} MB  {outcome}")


def parts(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
    unpacked = sum(i.file_size for i in infos)
    ratio = max((i.file_size / max(i.compress_size, 1) for i in infos if i.file_size >= 1 << 20), default=0)
    return (f"{path.stat().st_size / 1e6:.1f} MB on disk, {unpacked / 1e6:.1f} MB unpacked "
            f"(limit {DEFAULT_LIMITS.unpacked_bytes / 1e6:.0f}), largest ratio {ratio:.1f} (limit {MAX_RATIO})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="questions in the honest workbook")
    parser.add_argument("--keep", type=Path, help="build the files in this folder and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        bomb, wide, honest, deep = xlsx_bomb(folder), wide_sheet(folder), honest_bank(folder, args.rows), \
            deep_json(folder)
        parted = many_parts(folder)
        print(f"xlsx bomb: {parts(bomb)}")
        print(f"honest bank of {args.rows} rows: {parts(honest)}")
        measure("xlsx bomb (1.5 GB cell)", lambda: read(bomb))
        measure("sheet claiming 16,384 columns", lambda: read(wide))
        measure(f"600,000 parts, {parted.stat().st_size / 1e6:.0f} MB", lambda: read(parted))
        measure("YAML alias bomb in the config", lambda: config_bomb(folder))
        measure("JSON nested 100,000 deep", lambda: read(deep))
        measure(f"honest .xlsx, {args.rows} rows", lambda: read(honest))
        if PUBLIC_BANK.exists():
            measure("public 党史 bank (JSON)", lambda: read(PUBLIC_BANK))


if __name__ == "__main__":
    main()
