"""Notes for one member (`Outgoing.private_to`): the core decides what a tap means (accepted, a
repeat, an older question's card) and says so in a note for the member who tapped; a channel only
shows it. The rule, the same for every channel:

- the member tapped a card of the question the note is `about`, in the callback being answered:
  the note goes on that member's card (a card update only they see);
- anything else (a typed answer, a platform without cards, a note that comes later): the note is
  dropped, with a debug line. It never goes to the group.

A note with an `answer` means "answered": the card shows 「已作答：<answer>」 and the note; one
without means the question is over (or refused) for that member: the card is closed, with the note."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.messages import Outgoing

__all__ = ["is_note", "dropped", "split_notes"]

log = logging.getLogger(__name__)


def is_note(message: Outgoing) -> bool:
    return bool(message.private_to)


def dropped(message: Outgoing, where: str) -> bool:
    """True for a private note, which `where` cannot show (logged at debug); False for anything else."""
    if not message.private_to:
        return False
    log.debug("%s: note for %s about %r dropped (no card of theirs to show it on): %.40s", where,
              message.private_to, message.about, message.text)
    return True


def split_notes(replies: Iterable[Outgoing], user: str, about: str | None,
                where: str) -> tuple[Outgoing | None, list[Outgoing]]:
    """The replies to `user`'s tap on a card of question `about`: the first note for them about that
    question (for their card), and the replies for the chat. Every other note is dropped."""
    note: Outgoing | None = None
    rest: list[Outgoing] = []
    for reply in replies:
        if not reply.private_to:
            rest.append(reply)
        elif note is None and reply.private_to == user and reply.about == (about or ""):
            note = reply
        else:
            dropped(reply, where)
    return note, rest
