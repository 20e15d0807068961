"""题库 on the dashboard: when each imported bank was last imported and from which file (the banks themselves,
with their questions, are the catalog's: bot/services/catalog.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from bot.storage.models import BankRow

__all__ = ["BankImport", "bank_imports"]


@dataclass(frozen=True)
class BankImport:
    source: str  # the file it was imported from
    at: datetime


def bank_imports(session: Session) -> dict[str, BankImport]:
    """Live imported banks by name."""
    rows = session.exec(select(BankRow.name, BankRow.source, BankRow.updated_at).where(BankRow.state == "live"))
    return {name: BankImport(source, at) for name, source, at in rows}
