"""Click's usage errors (an unknown option or command, a missing or bad value) said in Chinese.

typer parses the command line (through the click it vendors) and raises these with structured fields: the
parameter, the option name, click's close matches. Each is worded here from those fields, not from click's English
text, which is matched only where click gives nothing else (an extra argument, an option given a value it does not
take). The original message is kept for an error this module has never seen, so nothing is hidden."""

from __future__ import annotations

from typing import Any

from typer._click import exceptions as errors
from typer._click.utils import echo

__all__ = ["ChineseUsageError", "describe", "no_such_command", "param_label"]

_TYPE_WORDS = {"int_parsing": "整数", "int_from_float": "整数", "float_parsing": "数字",
               "bool_parsing": "true 或 false", "date_parsing": "日期（YYYY-MM-DD）", "datetime_parsing": "日期和时间"}
_EXTRA = "Got unexpected extra argument(s) ("  # click's whole text for it: there is no field
_BOUNDS = {"greater_than_equal": ("ge", "不能小于"), "greater_than": ("gt", "应大于"),
           "less_than_equal": ("le", "不能大于"), "less_than": ("lt", "应小于")}


class ChineseUsageError(errors.UsageError):
    """A usage error already in Chinese: shown as the error, the usage line and where the help is; exit 2."""

    def show(self, file: Any = None) -> None:
        echo(self.message, file=file, err=file is None)
        if self.ctx is not None:
            echo(self.ctx.get_usage(), file=file, err=file is None)
            if self.ctx.command.get_help_option(self.ctx) is not None:
                echo(f"查看帮助：{self.ctx.command_path} {self.ctx.help_option_names[0]}", file=file,
                           err=file is None)


def param_label(param: Any, *, first: bool = False) -> str:
    """An option by its names (--branch / -b; only the first with `first`), an argument by its metavar (NAME) or
    its name in capitals."""
    if param is None:
        return "参数"
    if getattr(param, "param_type_name", "") == "option":
        return param.opts[0] if first else " / ".join(param.opts)
    return param.metavar or (param.name or "").upper()


def _help_of(param: Any) -> str:
    text = " ".join((getattr(param, "help", None) or "").split())
    return f"（{text}）" if text else ""


def describe(error: errors.UsageError) -> str:
    """The error in one Chinese line."""
    if isinstance(error, errors.NoSuchOption):
        found = f"没有选项 {error.option_name}"
        if error.possibilities:
            return f"{found}；是否想用 {'、'.join(sorted(error.possibilities))}？"
        return found
    if isinstance(error, errors.MissingParameter):
        kind = "选项" if getattr(error.param, "param_type_name", "") == "option" else "参数"
        return f"缺少{kind} {param_label(error.param)}{_help_of(error.param)}"
    if isinstance(error, errors.BadParameter):
        return _bad_value(error)
    if isinstance(error, errors.BadOptionUsage):
        if "does not take a value" in error.message:
            return f"选项 {error.option_name} 不带值，只写 {error.option_name} 即可"
        return f"选项 {error.option_name} 后面缺少值"
    message = error.message
    if message.startswith(_EXTRA) and message.endswith(")"):
        return f"多余的参数：{message[len(_EXTRA):-1]}（含空格的值请加引号）"
    if message == "Missing command." and error.ctx is not None:
        return f"缺少子命令，可用：{'、'.join(_visible_commands(error.ctx))}"
    return f"命令行有误：{message}"


def _visible_commands(ctx: Any) -> list[str]:
    group = ctx.command
    return [name for name in group.list_commands(ctx) if not group.get_command(ctx, name).hidden]


def no_such_command(ctx: Any, name: str, matches: list[str]) -> ChineseUsageError:
    if matches:
        return ChineseUsageError(f"没有命令「{name}」；是否想用 {'、'.join(matches)}？", ctx)
    return ChineseUsageError(f"没有命令「{name}」。可用的命令：{'、'.join(_visible_commands(ctx))}", ctx)


def _bad_value(error: errors.BadParameter) -> str:
    who = param_label(error.param, first=True)
    detail = _first_validation_error(error)
    if detail is None:
        return f"{who} 的值无效：{error.message}"
    kind, given, limits = detail
    shown = given if isinstance(given, str) else repr(given)
    choices = _choices(error.param)
    if choices:  # an Enum's refusal is a plain value_error; the choices say what was wanted
        return f"{who} 应为 {'、'.join(choices)} 之一，实为「{shown}」"
    if kind in _TYPE_WORDS:
        return f"{who} 应为{_TYPE_WORDS[kind]}，实为「{shown}」"
    if kind in _BOUNDS:
        key, verb = _BOUNDS[kind]
        return f"{who} {verb} {limits.get(key)}，实为 {shown}"
    return f"{who} 的值「{shown}」无效"


def _first_validation_error(error: errors.BadParameter) -> tuple[str, Any, dict[str, Any]] | None:
    """(type, input, ctx) of the pydantic validation error typer raised this for; None for any other cause."""
    cause = error.__cause__
    errors = getattr(cause, "errors", None)
    if not callable(errors):
        return None
    try:
        first = errors()[0]
    except (IndexError, TypeError):
        return None
    return str(first.get("type", "")), first.get("input"), dict(first.get("ctx") or {})


def _choices(param: Any) -> list[str]:
    descriptor = getattr(param, "type_descriptor", None)
    values = getattr(descriptor, "choices", None) or []
    return [str(getattr(value, "value", value)) for value in values]
