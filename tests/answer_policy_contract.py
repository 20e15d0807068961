"""The answer-policy contract every channel with cards keeps (issue 12): the core decides what a tap
means; an adapter only translates. One scenario, played against the real core (the whole app on a
temporary database) through each adapter's fake platform by tests/test_answer_policy_contract.py.

The roster puts u9 (书记: the contest is scored), u1, u2 and u3 in the group's branch: a small group,
so typed answers are acknowledged there, and question 1 stays open until its deadline (u3 and u9
never answer it). u9 starts a contest of the two questions of `BANK_YAML`, 30 s each.

1. u1 taps B on question 1's card: the core gets `button="B"`, `question_key=<question 1's key>`;
   u1's card shows 「已作答：B」 and the core's note; the group gets nothing;
2. u1 taps A on the same card: the core gets it as well (it, not the adapter, says it is a repeat);
   the card still shows B, the first answer; the group gets nothing;
3. u2 types C (the group sees the acknowledgement), then A (a repeat: the core's note for u2 alone),
   and the core sends a note on its own: notes for one member are dropped, never posted in the group;
4. the deadline passes: question 1 closes with one message that reveals it and asks question 2; the
   group gets it whole, as question 2's card where the platform has cards for it (on WeCom, whose cards
   show only short texts, the reveal as a text just before the card); where the platform
   can update cards for everyone, question 1's cards close with the answer;
5. u1 taps question 1's card again: the core gets question 1's key and answers 'stale'; the card
   closes for u1 with the note; the group gets nothing;
6. a forged card id is tapped: the core gets the tap with the id as it came (nothing is dropped
   silently) and answers it; the member's card shows the note; the group gets nothing.
Then what is stored: the two first answers, nothing of the repeats and the taps that answered nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from helpers import enrol, write_bank
from sqlalchemy import text

from bot.app import App
from bot.clock import ManualClock
from bot.ingress import Ingress
from bot.messages import Chat, Incoming, Outgoing

__all__ = ["CARD", "PROBE", "START", "BANK_YAML", "Q1_KEY", "CLOSE_TEXT", "CardView", "Core", "Harness", "play"]

# two questions whose answer is B, drawn in this order by make_app's seeded random generator
BANK_YAML = """\
name: 答题规则
time_limit: 30
questions:
  - {type: single, question: 预备党员的预备期为（）。, options: [半年, 一年, 两年, 三年], answer: B}
  - {type: single, question: 党章规定党员必须履行的义务共有（）项。, options: [六, 八, 十, 十二], answer: B}
"""
START = "开始竞赛 答题规则 2"
Q1_KEY = "contest:1:q0"  # question 1 of the first contest on a new database
CLOSE_TEXT = ("⏰ 第 1 题答案：B. 一年\n答对 1 人：u1（+10）\n\n"
              "📝 知识竞赛 第 2/2 题（单选，限时 30 秒）\n党章规定党员必须履行的义务共有（）项。")
ACCEPTED = "已作答第 1 题，答案揭晓前不可更改。"
TYPED = "u2 已作答第 1 题，答案揭晓前不可更改。"
STALE = "第 1 题已经结束，请在第 2 题的卡片上作答。"
UNKNOWN = "无法识别这张答题卡，请在最新的题目卡片上作答。"
CARD = "[卡片] "  # how `Harness.group_since` marks a card
PROBE = "探针"  # what harnesses type or push to learn that everything before has been handled and sent


@dataclass(frozen=True)
class CardView:
    """What the member who tapped sees on their card afterwards."""
    answered: str  # "B": their answer is shown and locked; "": the card is closed for them
    text: str  # the note shown on the card


class Core:
    """The real core of `app`, watched: the roster enrolled, the contract's bank in place, and every tap
    the adapter hands to `App.handle` noted (user, button, question key) before the core answers it."""

    def __init__(self, app: App, *, branch: str, channel: str) -> None:
        self.app = app
        self.taps: list[tuple[str, str, str | None]] = []
        self.batched = 0  # messages handled in a batch (the ingress open)
        enrol(app, "u9", "u1", "u2", "u3", branch=branch, channel=channel)
        handle = app.handle

        def watched(incoming: Incoming) -> list[Outgoing]:
            self._note(incoming)
            return handle(incoming)

        app.handle = watched  # type: ignore[method-assign]  # the same core, its input noted

    def _note(self, incoming: Incoming) -> None:
        if incoming.button is not None:
            self.taps.append((incoming.sender.user_id, incoming.button, incoming.question_key))

    def batch(self, window: float) -> None:
        """Open the app's ingress as `studybot run` does (bot/ingress.py): messages arriving within `window`
        share a transaction and their replies wait for its commit; taps are noted all the same."""
        many = self.app.dispatcher.handle_many

        def watched_many(incomings: list[Incoming]) -> list[list[Outgoing]]:
            for incoming in incomings:
                self._note(incoming)
            self.batched += len(incomings)
            return many(incomings)

        self.app.ingress = Ingress(watched_many, window=window)

    @staticmethod
    def bank(tmp_path: Path) -> None:
        """The contract's bank beside the test bank, before the app is built."""
        write_bank(tmp_path / "banks", BANK_YAML, "contract.yaml")

    def time_up(self) -> None:
        """Question 1's 30 seconds pass: its deadline is due on the app's timers."""
        clock = self.app.clock
        assert isinstance(clock, ManualClock)
        clock.set(clock.now() + timedelta(seconds=30))

    def stored(self) -> list[tuple[str, int, str]]:
        with self.app.db.session() as session:
            return [tuple(r) for r in session.execute(text(  # type: ignore[misc]
                "SELECT m.name, a.question_index, a.answer FROM contest_answer a JOIN member m ON m.id = a.member_id "
                "ORDER BY a.id")).all()]


class Harness(Protocol):
    """One adapter on its fake platform, in front of the real core."""
    core: Core
    group: Chat
    forged_id: str  # a card id no adapter made, as the platform would carry it
    closes_cards: bool  # the platform can update a card for everyone (question 1's cards close on the reveal)
    pushes_cards: bool  # a message the core sends on its own can be a card (not in WeCom's callback mode)
    # the card holds only what fits on it (WeCom's recommended lengths): what precedes the question (the
    # reveal) comes whole as a text just before the card
    text_above_card: bool

    async def start_contest(self) -> Any:
        """u9 types `START`: question 1's card as the group got it."""

    async def tap(self, user: str, card: Any, choice: str) -> CardView:
        """`user` taps `choice` on `card`; what their card shows afterwards."""

    async def tap_forged(self, user: str, choice: str) -> CardView: ...

    async def type(self, user: str, text: str) -> None: ...

    async def send(self, message: Outgoing) -> None:
        """The core sends `message` on its own (a note, say)."""

    async def time_up(self) -> None:
        """Question 1's deadline passes and the app's timers fire it."""

    def mark(self) -> Any: ...

    async def group_since(self, mark: Any) -> list[str]:
        """The texts the group got since `mark` (a card as CARD and its whole text), once everything
        handled and queued before has been sent; probes left out."""

    async def closed_for_everyone(self, card: Any) -> str:
        """Where `closes_cards`: the status `card` shows everyone once closed."""


async def play(h: Harness) -> None:
    core = h.core
    card = await h.start_contest()

    mark = h.mark()
    assert await h.tap("u1", card, "B") == CardView("B", ACCEPTED)
    assert core.taps[-1] == ("u1", "B", Q1_KEY)
    assert await h.group_since(mark) == []

    mark = h.mark()
    assert await h.tap("u1", card, "A") == CardView("B", "第 1 题您已作答（B），以第一次作答为准。")
    assert core.taps[-1] == ("u1", "A", Q1_KEY)
    assert await h.group_since(mark) == []

    mark = h.mark()
    await h.type("u2", "C")
    await h.type("u2", "A")  # a repeat: the core's note for u2 alone
    await h.send(Outgoing(h.group, "只给 u1 看的话", private_to="u1", about=Q1_KEY))
    assert await h.group_since(mark) == [TYPED]

    mark = h.mark()
    await h.time_up()
    got = await h.group_since(mark)  # where no card fits, the text says how to answer after it
    if h.text_above_card:
        assert len(got) == 2 and got[1].startswith(CARD), got
        assert f"{got[0]}\n\n{got[1].removeprefix(CARD)}".startswith(CLOSE_TEXT), got
    else:
        assert len(got) == 1 and got[0].startswith((CARD if h.pushes_cards else "") + CLOSE_TEXT), got
    if h.closes_cards:
        assert await h.closed_for_everyone(card) == "本题已结束，正确答案：B. 一年"

    mark = h.mark()
    assert await h.tap("u1", card, "C") == CardView("", STALE)
    assert core.taps[-1] == ("u1", "C", Q1_KEY)
    assert await h.group_since(mark) == []

    mark = h.mark()
    assert await h.tap_forged("u3", "A") == CardView("", UNKNOWN)
    assert core.taps[-1] == ("u3", "A", h.forged_id)
    assert await h.group_since(mark) == []

    assert core.stored() == [("u1", 0, "B"), ("u2", 0, "C")]  # repeats and refused taps stored nothing
