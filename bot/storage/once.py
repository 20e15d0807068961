"""Rows that may exist only once (a sign-in, an 已学): the database's uniqueness rule decides, so a second
write, a moment later on another instance or long after, adds nothing and says so."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

__all__ = ["add_once"]


def add_once(session: Session, row: SQLModel) -> bool:
    """Add `row` in a savepoint of the caller's transaction; False (and nothing added) when a uniqueness rule
    says it is there already. The rest of the transaction is kept either way."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True
