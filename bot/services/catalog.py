"""Every bank the bot can ask from: YAML files (bundled and `quizzes.bank_dirs`, read at
start) and banks imported into the database with `studybot bank import`, which are re-read
when an import changes them, so a running bot sees a new bank without a restart."""

from __future__ import annotations

import logging

from bot.storage.banks import load_stored_banks, stored_bank_stamp
from bot.storage.db import Database
from quizzes.model import Bank, Question

__all__ = ["Catalog", "hidden_bank_text"]

log = logging.getLogger(__name__)


class Catalog:
    def __init__(self, *, db: Database, file_banks: dict[str, Bank], default_bank: str | None,
                 broken_files: int = 0) -> None:
        self._db, self._files, self._default = db, file_banks, default_bank
        self.broken_files = broken_files  # bank files that did not load (the CLI lists them at start)
        self._stored: dict[str, Bank] = {}
        self._stamp: tuple[int, str] | None = None
        # imported banks a bank file of the same name hides: name -> that file (the file wins)
        self.hidden: dict[str, str] = {}

    def refresh(self) -> None:
        """Re-read the stored banks if an import changed them since the last look."""
        with self._db.session() as session:
            stamp = stored_bank_stamp(session=session)
            if stamp == self._stamp:
                return
            stored = load_stored_banks(session=session)
        self.hidden = {name: self._files[name].source for name in sorted(set(stored) & set(self._files))}
        if self.hidden:
            log.warning("imported banks %s have the name of a bank file; the file wins", list(self.hidden))
        self._stored = {name: bank for name, bank in stored.items() if name not in self._files}
        self._stamp = stamp

    def hidden_lines(self) -> list[str]:
        """One line for the admin, in Chinese, per imported bank a bank file hides (hidden_bank_text)."""
        return [hidden_bank_text(name, source) for name, source in self.hidden.items()]

    def banks(self) -> list[Bank]:
        return [*self._files.values(), *self._stored.values()]

    def get(self, name: str) -> Bank | None:
        return self._files.get(name) or self._stored.get(name)

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def pick(self, name: str | None) -> Bank | None:
        """The named bank, else the configured default, else the first one."""
        name = name or self._default
        if name:
            return self.get(name)
        banks = self.banks()
        return banks[0] if banks else None

    def question(self, bank: str, key: str) -> Question | None:
        found = self.get(bank)
        return found.by_key.get(key) if found else None


def hidden_bank_text(name: str, source: str) -> str:
    return (f"已导入的题库「{name}」与题库文件 {source} 同名，现在用的是文件中的题库，导入的题目用不到："
            "请改掉文件中的 name，或用 studybot bank import --name 换个名字重新导入")
