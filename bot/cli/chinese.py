"""The command line in Chinese: help pages (用法、参数、选项、命令, defaults and limits) and usage errors.

typer (and the click it vendors) stays the parser: these classes only change how its results are shown, at the
edges. Hand-writing a parser would lose typer's type handling and the help built from the signatures; translating
click through gettext would need compiled catalogues and a process-wide locale. `chinese(cli)` gives every group and
command of a typer app these classes, so a command added later gets them too (tests/test_cli_usage.py checks)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from difflib import get_close_matches
from typing import Any

import typer
from typer._click import exceptions as errors
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption
from typer.core import _extract_default_help_str as default_of  # typer's own reading of a default, and its text
from typer.core import _get_default_string as default_text

from bot.cli.helpformat import ChineseFormatter
from bot.cli.usage_errors import ChineseUsageError, describe, no_such_command

__all__ = ["chinese", "ChineseCommand", "ChineseGroup"]

HELP_OPTION_HELP = "显示本帮助并退出"
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."
_TYPES = {"str": "文本", "int": "整数", "int range": "整数", "float": "数字", "float range": "数字", "path": "路径",
          "file": "文件", "directory": "目录", "list[str]": "文本"}


class ChineseContext(typer.Context):
    formatter_class = ChineseFormatter


@contextlib.contextmanager
def _chinese_errors(ctx: Any) -> Iterator[None]:
    """A usage error raised while parsing `ctx`'s arguments or dispatching becomes its Chinese wording (with `ctx`
    for the usage line when click's parser gave it none); typer's main then shows it (ChineseUsageError.show) and
    exits 2, as it would have for the English one."""
    try:
        yield
    except (ChineseUsageError, errors.NoArgsIsHelpError):  # worded already; the latter is the help page
        raise
    except errors.UsageError as error:
        raise ChineseUsageError(describe(error), error.ctx or ctx) from None


class _Chinese:
    """What commands and groups share: the usage line, the parameter lists and the --help option."""

    context_class = ChineseContext
    options_metavar: str | None

    def _chinese_metavar(self) -> None:
        if self.options_metavar == "[OPTIONS]":
            self.options_metavar = OPTIONS_METAVAR

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        with _chinese_errors(ctx):
            return super().parse_args(ctx, args)  # type: ignore[misc]  # click's Command, by the subclasses

    def invoke(self, ctx: Any) -> Any:
        with _chinese_errors(ctx):
            return super().invoke(ctx)  # type: ignore[misc]

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """Arguments by their metavar, `[NAME]` when optional (`… [选项] FILE`, not typer's `{FILE}`)."""
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            if isinstance(param, TyperArgument):
                name = param.metavar or (param.name or "").upper()
                name = name if param.required else f"[{name}]"
                pieces.append(name + ("..." if param.nargs != 1 else ""))
            else:
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_OPTION_HELP
        return option

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):  # type: ignore[attr-defined]
            record = _help_record(param, ctx)
            if record is not None:
                (arguments if isinstance(param, TyperArgument) else options).append(record)
        if arguments:
            with formatter.section("参数"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("选项"):
                formatter.write_dl(options)


def _help_record(param: Any, ctx: Any) -> tuple[str, str] | None:
    """typer's own entry for the help page, with the type in Chinese and the notes after the text re-made in
    Chinese (默认、范围、必填) from the parameter rather than from typer's English."""
    record = param.get_help_record(ctx)
    if record is None:
        return None
    names = record[0]
    label = param.display_type_rich(ctx)
    if label and label.startswith("<") and label.endswith(">") and names.endswith(" " + label):
        inner = label[1:-1]
        names = f"{names[: -len(label)]}<{_TYPES.get(inner, inner)}>"
    notes = _notes(param, ctx)
    text = " ".join(filter(None, [param.help or "", f"[{'；'.join(notes)}]" if notes else ""]))
    return names, text


def _notes(param: Any, ctx: Any) -> list[str]:
    notes = []
    default = default_of(param, ctx=ctx)
    shown_as_text = isinstance(param.show_default, str)
    if shown_as_text or (default is not None and (param.show_default or ctx.show_default)):
        text = default_text(param, ctx=ctx, show_default_is_str=shown_as_text, default_value=default)
        if text:
            notes.append(f"默认：{text}")
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    if not (isinstance(param, TyperOption) and param.count):
        if low is not None and high is not None:
            notes.append(f"{low} 到 {high}")
        elif low is not None:
            notes.append(f"至少 {low}")
        elif high is not None:
            notes.append(f"至多 {high}")
    if param.required:
        notes.append("必填")
    return notes


class ChineseCommand(_Chinese, TyperCommand):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._chinese_metavar()


class ChineseGroup(_Chinese, TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._chinese_metavar()
        if self.subcommand_metavar == "COMMAND [ARGS]...":
            self.subcommand_metavar = SUBCOMMAND_METAVAR

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [*super().collect_usage_pieces(ctx), self.subcommand_metavar]

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0]
        if self.get_command(ctx, name) is None and not name.startswith("-") and not ctx.resilient_parsing:
            raise no_such_command(ctx, name, get_close_matches(name, self.list_commands(ctx)))
        return super().resolve_command(ctx, args)

    def format_options(self, ctx: Any, formatter: Any) -> None:
        super().format_options(ctx, formatter)
        rows = [(name, command.get_short_help_str(formatter.width - 6 - len(name)))
                for name in self.list_commands(ctx)
                if (command := self.get_command(ctx, name)) is not None and not command.hidden]
        if rows:
            with formatter.section("命令"):
                formatter.write_dl(rows)


def chinese(app: typer.Typer) -> typer.Typer:
    """Give every group and command of `app` (its sub-apps too) the Chinese classes; returns `app`."""
    app.info.cls = ChineseGroup
    app.rich_markup_mode = None  # typer's rich output has English panels ("Usage", "Options", "Error")
    for command in app.registered_commands:
        if command.cls is None or command.cls is TyperCommand:
            command.cls = ChineseCommand
        assert issubclass(command.cls, ChineseCommand), f"{command.name}: {command.cls} is not a ChineseCommand"
    for group in app.registered_groups:
        assert group.typer_instance is not None
        chinese(group.typer_instance)
    return app
