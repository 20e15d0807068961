"""`studybot bank …`: check, import, list, export and statistics of question banks."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bot.app import App
from bot.cli.common import ConfigOption, clock_of, fail, open_app, progress_bar
from bot.cli.output import ForceOption, choose_format, refuse_existing, write_file
from bot.services.bank_import import import_bank
from bot.storage.banks import question_stats
from quizzes.bank_io import read_bank
from quizzes.model import TYPE_LABELS, Bank, QuestionType
from safeio.names import file_stem, name_problem

__all__ = ["commands"]


FileArgument = Annotated[Path, typer.Argument(metavar="FILE", help="题库文件：.xlsx、.csv、.json 或 .yaml")]
NameOption = Annotated[str | None, typer.Option("--name", help="题库名（默认：文件中的 name，或文件名）")]


class ListFormat(str, Enum):
    table = "table"
    json = "json"


def _read(path: Path, name: str | None):
    if not path.exists():
        raise fail(f"找不到文件 {path}", 2)
    result = read_bank(path, name)
    for problem in result.problems:
        typer.echo(str(problem))
    return result


def check(file: FileArgument, name: NameOption = None) -> None:
    """检查题库文件而不导入：列出每一处问题（Excel/CSV 为行号，JSON/YAML 为第几题）。无问题退出码 0，有问题 1。"""
    result = _read(file, name)
    typer.echo(result.summary())
    if result.problems:
        raise typer.Exit(1)


def import_(
    ctx: typer.Context,
    file: FileArgument,
    name: NameOption = None,
    replace: Annotated[bool, typer.Option(
        "--replace", help="用文件中的题目替换同名题库的全部题目（默认：追加新题）")] = False,
    config: ConfigOption = None,
) -> None:
    """导入题库：全部通过检查才导入（一处有问题则一道也不导入），跳过完全重复的题目。

    同名题库已导入过时，默认只追加其中没有的题目；加 --replace 则整体替换。"""
    result = _read(file, name)
    if result.bank is None:
        typer.echo(result.summary())
        raise typer.Exit(1)
    app = open_app(config, create=True)
    try:
        if result.bank.name in {b.name for b in app.catalog.banks()} and not _is_stored(app, result.bank.name):
            raise fail(f"题库「{result.bank.name}」来自题库文件（{app.catalog.get(result.bank.name).source}），"
                        "不能用导入覆盖。请用 --name 另起一个名字。", 1)
        with progress_bar(len(result.bank.questions), "写入题库") as progress:
            saved = import_bank(app.db, result.bank, source=file.name, replace=replace, now=clock_of(ctx).now(),
                                progress=progress)
    finally:
        app.close()
    typer.echo(result.summary())
    verb = "替换为" if saved.replaced else "新增"
    already = f"，题库中已有而跳过 {saved.already_there} 道" if saved.already_there else ""
    typer.echo(f"已导入题库「{result.bank.name}」：{verb} {saved.added} 道{already}。"
               f"在群里发送「开始竞赛 {result.bank.name}」即可使用。")


def _is_stored(app: App, name: str) -> bool:
    bank = app.catalog.get(name)
    return bank is not None and bank.source.startswith("数据库")


def _counts(bank: Bank) -> dict[str, int]:
    counts = {qtype.value: 0 for qtype in QuestionType}
    for question in bank.questions:
        counts[question.type.value] += 1
    return counts


def list_(
    format: Annotated[ListFormat, typer.Option("--format", help="table 或 json")] = ListFormat.table,
    config: ConfigOption = None,
) -> None:
    """列出全部题库（内置、题库目录中的文件和已导入的）及各题型题数。"""
    app = open_app(config)
    try:
        app.catalog.refresh()
        banks = app.catalog.banks()
        hidden = app.catalog.hidden_lines()
    finally:
        app.close()
    if format is ListFormat.json:
        typer.echo(json.dumps([{"name": b.name, "questions": len(b.questions), **_counts(b), "source": b.source}
                               for b in banks], ensure_ascii=False, indent=2))
        for line in hidden:
            typer.echo(f"⚠️ {line}", err=True)
        return
    if not banks:
        typer.echo("还没有题库。用 studybot bank import FILE 导入，或把 .yaml 题库放进 banks/ 目录。")
        return
    table = Table(title="题库")
    for header in ("题库", "题数", *TYPE_LABELS.values(), "来源"):
        table.add_column(header, justify="right" if header not in ("题库", "来源") else "left")
    for bank in banks:
        counts = _counts(bank)
        table.add_row(bank.name, str(len(bank.questions)), *(str(counts[t.value]) for t in QuestionType), bank.source)
    Console().print(table)
    for line in hidden:
        typer.echo(f"⚠️ {line}")


def _find(app: App, name: str) -> Bank:
    app.catalog.refresh()
    bank = app.catalog.get(name)
    if bank is None:
        names = "、".join(b.name for b in app.catalog.banks()) or "无"
        raise fail(f"没有找到题库「{name}」。现有题库：{names}", 1)
    return bank


def export(
    name: Annotated[str, typer.Argument(metavar="NAME", help="题库名")],
    format: Annotated[str | None, typer.Option(
        "--format", help="xlsx、csv 或 yaml；不写时按 --output 的扩展名，否则 xlsx", show_default=False)] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="写到哪个文件（默认：当前文件夹中的 题库名.xlsx/.csv/.yaml）；已存在时需加 --force",
        show_default=False)] = None,
    force: ForceOption = False,
    config: ConfigOption = None,
) -> None:
    """导出题库为 Excel、CSV 或 YAML；导出的文件可以原样再导入。"""
    from quizzes.bank_export import write_csv, write_xlsx, write_yaml

    fmt = choose_format(format, output, ("xlsx", "csv", "yaml"), "xlsx")
    if output is not None:
        refuse_existing(output, force)
    app = open_app(config)
    try:
        bank = _find(app, name)
    finally:
        app.close()
    path = output if output is not None else _default_path(bank.name, fmt)
    if output is None:
        refuse_existing(path, force)
    writers = {"xlsx": write_xlsx, "csv": write_csv, "yaml": lambda bank, path: write_yaml(bank, path) or []}
    warnings = write_file(path, lambda temporary: writers[fmt](bank, temporary))
    for warning in warnings:
        typer.echo(f"⚠️ {warning}", err=True)
    typer.echo(f"已导出题库「{bank.name}」（{len(bank.questions)} 道）到 {path}")


def _default_path(name: str, fmt: str) -> Path:
    """题库名.xlsx in the current folder; a name that would put it anywhere else (a bank stored before names were
    checked) exits 1, asking for --output."""
    problem = name_problem("题库名", name)
    path = Path(f"{file_stem(name)}.{fmt}")
    here = Path.cwd().resolve()
    if problem is not None or path.resolve().parent != here:
        raise fail(f"{problem or f'题库名「{name}」不能直接用作文件名'}：请用 --output 指定导出到哪个文件", 1)
    return path


def stats(
    name: Annotated[str, typer.Argument(metavar="NAME", help="题库名")],
    limit: Annotated[int, typer.Option("--limit", help="列出多少道", min=1)] = 20,
    min_answers: Annotated[int, typer.Option("--min-answers", help="至少有多少人次作答才列入", min=1)] = 1,
    config: ConfigOption = None,
) -> None:
    """答题统计：列出正确率最低（最难）的题目，含出题次数、作答人次和正确率。"""
    app = open_app(config)
    try:
        bank = _find(app, name)
        with app.db.session() as session:
            counted = question_stats(session=session, bank=bank.name)
    finally:
        app.close()
    numbered = {q.key: (number, q) for number, q in enumerate(bank.questions, start=1)}
    rows = [(s.correct / s.answered, s, *numbered[key]) for key, s in counted.items()
            if key in numbered and s.answered >= min_answers]
    rows.sort(key=lambda r: (r[0], -r[1].answered, r[2]))
    if not rows:
        typer.echo(f"题库「{bank.name}」还没有作答记录（至少 {min_answers} 人次）。")
        return
    table = Table(title=f"题库「{bank.name}」最难的题目（共 {len(rows)} 道有作答记录）")
    for header in ("题号", "题型", "题干", "出题次数", "作答人次", "答对", "正确率"):
        table.add_column(header, justify="left" if header in ("题型", "题干") else "right")
    for rate, stat, number, question in rows[:limit]:
        stem = question.text if len(question.text) <= 40 else question.text[:39] + "…"
        table.add_row(str(number), question.label, stem, str(stat.asked), str(stat.answered), str(stat.correct),
                      f"{rate:.0%}")
    Console().print(table)


def commands() -> typer.Typer:
    group = typer.Typer(help="题库：检查、导入、列出、导出和答题统计。", no_args_is_help=True)
    group.command()(check)
    group.command(name="import")(import_)
    group.command(name="list")(list_)
    group.command()(export)
    group.command()(stats)
    return group
