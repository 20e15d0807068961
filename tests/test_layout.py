"""The architecture's rules, read from the code's own imports (ast: nothing is imported or run):

- the pure domain (quizzes/, content/, scheduler/) and safeio/ (the file limits they share with bot/) import
  nothing from bot/, and safeio/ nothing from the domain either;
- the platform SDKs (wechatpy, dingtalk_stream) are imported only under bot/channels/;
- a channel package (bot/channels/<platform>/) is imported only by itself and by bot/channels/registry.py,
  and the channels' package faces (`__init__.py`) import nothing, so importing one part loads no other;
- no module of the product is longer than 300 lines."""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("bot", "quizzes", "content", "scheduler", "safeio")
PURE = ("quizzes", "content", "scheduler", "safeio")
SDKS = ("wechatpy", "dingtalk_stream")
CHANNELS = ROOT / "bot" / "channels"
SHARED_CHANNEL_PACKAGES = {"common"}  # what every adapter shares; not a channel
MAX_LINES = 300


def modules(*packages: str) -> Iterator[Path]:
    for package in packages:
        yield from sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def dotted(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@functools.cache
def imported(path: Path) -> tuple[tuple[int, str], ...]:
    package = dotted(path) if path.name == "__init__.py" else dotted(path).rpartition(".")[0]
    return tuple(imports(path.read_text(encoding="utf-8"), package))


def imports(source: str, package: str) -> Iterator[tuple[int, str]]:
    """(line, module) of every import in `source`, a module of `package`, relative ones made absolute;
    inside functions and `if TYPE_CHECKING:` blocks too, since those are dependencies all the same."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # `from bot.channels import wecom` names a module too
                yield node.lineno, f"{base}.{alias.name}"


def channel_packages() -> set[str]:
    return {p.name for p in CHANNELS.iterdir() if p.is_dir() and (p / "__init__.py").exists()} - SHARED_CHANNEL_PACKAGES


def under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_the_pure_domain_imports_nothing_from_bot() -> None:
    found = [f"{where(path, line)} imports {module}" for path in modules(*PURE)
             for line, module in imported(path) if under(module, "bot")]
    assert found == []


def test_safeio_imports_only_itself_and_libraries() -> None:
    """Every package reads files through safeio, so it must stand below all of them."""
    found = [f"{where(path, line)} imports {module}" for path in modules("safeio")
             for line, module in imported(path) if any(under(module, p) for p in PRODUCT if p != "safeio")]
    assert found == []


def test_platform_sdks_are_imported_only_by_the_channels() -> None:
    found = [f"{where(path, line)} imports {module}" for path in modules(*PRODUCT)
             if not under(dotted(path), "bot.channels")
             for line, module in imported(path) if any(under(module, sdk) for sdk in SDKS)]
    assert found == []


def test_channel_packages_are_imported_only_by_themselves_and_the_registry() -> None:
    found = []
    for name in sorted(channel_packages()):
        package = f"bot.channels.{name}"
        for path in modules(*PRODUCT):
            importer = dotted(path)
            if importer == "bot.channels.registry" or under(importer, package):
                continue
            found += [f"{where(path, line)} imports {module}" for line, module in imported(path)
                      if under(module, package)]
    assert found == []


def test_the_channel_package_faces_import_nothing() -> None:
    faces = [CHANNELS / "__init__.py", *sorted(CHANNELS.glob("*/__init__.py"))]
    assert {str(face.relative_to(ROOT)): [m for _, m in imported(face)] for face in faces} == {
        str(face.relative_to(ROOT)): [] for face in faces}


def test_no_product_module_is_longer_than_300_lines() -> None:
    long = {str(path.relative_to(ROOT)): n for path in modules(*PRODUCT, "bench")
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


@pytest.mark.parametrize(("source", "expected"), [
    ("import wechatpy.crypto", ["wechatpy.crypto"]),
    ("from dingtalk_stream import AckMessage", ["dingtalk_stream", "dingtalk_stream.AckMessage"]),
    ("from .wecom import cards", ["bot.channels.wecom", "bot.channels.wecom.cards"]),
    ("from ..messages import Outgoing", ["bot.messages", "bot.messages.Outgoing"]),
    ("def f():\n    from bot.channels.dingtalk import x", ["bot.channels.dingtalk", "bot.channels.dingtalk.x"]),
])
def test_imports_are_read_in_every_form(source: str, expected: list[str]) -> None:
    """The checks above see relative imports and imports inside functions (the rules would pass
    vacuously if they did not)."""
    assert [name for _, name in imports(source, "bot.channels")] == expected


def test_the_rules_see_the_code() -> None:
    assert len(list(modules(*PRODUCT))) > 50
    assert any(under(module, "wechatpy") for path in modules("bot") for _, module in imported(path))
