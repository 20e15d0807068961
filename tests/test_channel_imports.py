"""The channel packages' doors, read from the source (AST): the registry is the only module of bot/
that imports a channel package, a channel package imports no other one (common/ is shared), and
the package faces (`__init__.py`) import nothing."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
CHANNELS = BOT / "channels"
PACKAGES = ("wecom", "dingtalk", "wechat_mp", "local")


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def channel_package(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if parts[:2] == ["bot", "channels"] and len(parts) > 2 and parts[2] in PACKAGES else None


def test_only_the_registry_imports_a_channel_package() -> None:
    offenders = {}
    for path in BOT.rglob("*.py"):
        home = path.relative_to(CHANNELS).parts[0] if path.is_relative_to(CHANNELS) else None
        if path == CHANNELS / "registry.py":
            continue
        reached = {pkg for module in imported(path) if (pkg := channel_package(module)) and pkg != home}
        if reached:
            offenders[str(path.relative_to(BOT))] = sorted(reached)
    assert offenders == {}


def test_package_faces_import_nothing() -> None:
    for path in [CHANNELS / "__init__.py", *CHANNELS.glob("*/__init__.py")]:
        assert imported(path) == set(), path
