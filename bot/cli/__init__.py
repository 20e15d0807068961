"""The `studybot` command line: one module per command or group of commands, wired in root.py."""

from bot.cli.root import build_cli, main

__all__ = ["build_cli", "main"]
