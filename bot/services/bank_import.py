"""`studybot bank import` into the database the running bot uses, without making it wait.

The bank is written out of sight in short transactions (bot/storage/bank_staging.py: at most `chunk`
questions each, a few milliseconds of SQLite's write lock, taking turns with the bot's writes:
bot/storage/turns.py), then published in one short transaction; so answers and a question's close slip in between, and
the import is still all or nothing to readers: a contest sees the old bank or the whole new one. An import
that is interrupted leaves a staging bank nobody sees, dropped by the next import."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.storage import bank_staging as staging
from bot.storage.db import Database
from bot.storage.turns import TakingTurns
from quizzes.model import Bank

__all__ = ["SavedBank", "import_bank", "CHUNK"]

log = logging.getLogger(__name__)

CHUNK = 500  # questions per transaction: ~5 ms of the write lock on SQLite (bench/import_beside_contest.py)
COPY_CHUNK = 2000  # questions copied (or deleted) per transaction: one statement, no Python objects
ABANDONED_AFTER = timedelta(hours=1)  # a staging bank this old belongs to an import that died


@dataclass(frozen=True)
class SavedBank:
    added: int
    already_there: int  # questions the stored bank already had (same key)
    replaced: bool


def _drop(turns: TakingTurns, bank_id: int) -> None:
    """Delete a staging or retired bank; left for the next import when the database fails meanwhile."""
    try:
        deleted = None
        while deleted != 0:
            with turns.transaction() as session:
                deleted = staging.drop_questions(session=session, bank_id=bank_id, limit=COPY_CHUNK)
    except Exception:  # nobody sees it meanwhile
        log.warning("bank %s not dropped yet; the next import will", bank_id, exc_info=True)


def import_bank(db: Database, bank: Bank, *, source: str, replace: bool, now: datetime, chunk: int = CHUNK,
                progress: Callable[[int, int], None] | None = None,
                sleep: Callable[[float], None] = time.sleep,
                on_publish: Callable[[Session], None] | None = None) -> SavedBank:
    """Add the bank's questions to the stored bank of that name (created if new), skipping the ones it
    already has; with `replace`, its questions are replaced instead. `progress(done, total)` is called
    between transactions (questions written so far, of the new ones); `sleep` is how the import waits
    between them for the running bot's writes (bot/storage/turns.py; tests pass their own). `on_publish(session)`
    runs in the transaction that publishes the bank (the dashboard's audit line: written with the bank or not at
    all)."""
    turns = TakingTurns(db, sleep=sleep)
    with db.session() as session:
        abandoned = staging.unfinished_banks(session=session, before=now - ABANDONED_AFTER)
    for bank_id in abandoned:
        log.info("dropping bank %s left by an interrupted import", bank_id)
        _drop(turns, bank_id)
    with db.session() as session:
        old = staging.live_bank(session=session, name=bank.name)
        old_id = None if old is None else old.id
        keep = None if replace else old_id  # the bank whose questions stay, ahead of the new ones
        existing = staging.stored_keys(session=session, bank_id=keep) if keep is not None else set()
        last = staging.last_position(session=session, bank_id=keep) if keep is not None else -1
        description = bank.description or (old.description if old else "")
        time_limit = bank.time_limit if bank.time_limit is not None else (old.time_limit if old else None)
        strictness = getattr(bank, "strictness", None) or (old.strictness if old else None)
    new = [q for q in bank.questions if q.key not in existing]
    with turns.transaction() as session:
        staging_id = staging.open_staging(session=session, now=now)
    try:
        for low in range(0, last + 1, COPY_CHUNK) if keep is not None else ():
            with turns.transaction() as session:
                staging.copy_questions(session=session, from_bank=keep, to_bank=staging_id, low=low,
                                       high=low + COPY_CHUNK)
        for done in range(0, len(new), chunk):
            with turns.transaction() as session:
                staging.add_questions(session=session, bank_id=staging_id, start=last + 1 + done,
                                      questions=new[done:done + chunk])
            if progress is not None:
                progress(min(done + chunk, len(new)), len(new))
        with turns.transaction() as session:
            retired = staging.publish(session=session, staging_id=staging_id, name=bank.name,
                                      description=description, time_limit=time_limit, strictness=strictness,
                                      source=source, now=now)
            if on_publish is not None:
                on_publish(session)
    except BaseException:
        _drop(turns, staging_id)  # nothing was shown: take back what was written
        raise
    if retired is not None:
        _drop(turns, retired)
    return SavedBank(len(new), len(bank.questions) - len(new), old_id is not None and replace)
