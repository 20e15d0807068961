"""The answer-policy contract every channel with cards keeps (issue 12): the core decides what a tap
means; an adapter only translates. One scenario, run through each adapter's fake platform by
tests/test_answer_policy_contract.py:

1. a member taps B on question 1's card: the core gets `button="B"`, `question_key=<question 1's
   key>`; the member's card shows 「已作答：B」 and the core's note; the group gets nothing;
2. the member taps A on the same card: the core gets it as well (it, not the adapter, says it is a
   repeat); the card still shows B, the first answer; the group gets nothing;
3. a typed answer and a note sent on its own: the core's notes for one member are dropped, never
   posted in the group;
4. question 1 closes with one message that reveals it and asks question 2: the group gets it whole,
   as question 2's card where the platform has cards for it; where the platform can update cards
   for everyone, question 1's cards close with the answer;
5. the member taps question 1's card again: the core gets question 1's key and answers 'stale'; the
   card closes for that member with the note; the group gets nothing;
6. a forged card id is tapped: the core gets the tap with the id as it came (nothing is dropped
   silently) and answers it; the member's card shows the note; the group gets nothing.

`PolicyCore` below stands in for the contest service's answer policy UNTIL THE LEAD'S CORE LANDS:
it is deliberately tiny and knows nothing of contests beyond two question keys. After the merge,
the contract switches to the real core (only `PolicyCore` goes; the scenario stays)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.messages import Chat, Incoming, Outgoing

__all__ = ["CARD", "PROBE", "START", "Q1_KEY", "Q2_KEY", "Q1_TEXT", "CLOSE_TEXT", "CardView", "PolicyCore", "Harness",
           "play"]

Q1_KEY = "contest:7:q0"
Q2_KEY = "contest:7:q1"
Q1_TEXT = "📝 第 1/2 题（单选）\n党的最高领导机关是（）。\nA. 党的全国代表大会\nB. 中央委员会\nC. 中央政治局\nD. 书记处"
CLOSE_TEXT = "✅ 第 1 题答案：B\n答对 1 人：u1\n\n📝 第 2/2 题（判断）\n党员有退党的自由。"
START = "开始竞赛"
CARD = "[卡片] "  # how `Harness.group_since` marks a card
PROBE = "探针"  # what harnesses type or push to learn that everything before has been handled and sent


@dataclass(frozen=True)
class CardView:
    """What the member who tapped sees on their card afterwards."""
    answered: str  # "B": their answer is shown and locked; "": the card is closed for them
    text: str  # the note shown on the card


def note(incoming: Incoming, text: str, about: str | None, answer: str = "") -> Outgoing:
    return Outgoing(incoming.chat, text, private_to=incoming.sender.user_id, about=about or "", answer=answer)


@dataclass
class PolicyCore:
    """INTERIM stand-in for the core's answer policy (issue 12), put in place of `App.handle`:
    - a tap on the open question's card: taken once (a note with the answer); a repeat: a note with
      the first answer; any other card (an older question's, a forged one): a note without an answer;
    - 「开始竞赛」 asks question 1; a typed answer gets a note (which no card can show); a probe is echoed
      to the chat."""
    open_key: str = Q1_KEY
    first: dict[tuple[str, str], str] = field(default_factory=dict)
    taps: list[tuple[str, str, str | None]] = field(default_factory=list)  # (user, button, question_key)

    def handle(self, incoming: Incoming) -> list[Outgoing]:
        if incoming.button is not None:
            return [self._tap(incoming)]
        text = incoming.text.strip()
        if text == START:
            return [Outgoing(incoming.chat, Q1_TEXT, choices=("A", "B", "C", "D"), key=Q1_KEY)]
        if text.startswith(PROBE):
            return [Outgoing(incoming.chat, text)]
        return [note(incoming, f"已作答：{text}", self.open_key, answer=text)]

    def _tap(self, incoming: Incoming) -> Outgoing:
        user, key, button = incoming.sender.user_id, incoming.question_key, incoming.button or ""
        self.taps.append((user, button, key))
        if key != self.open_key:
            return note(incoming, "本题已结束，本次作答不计分。", key)
        first = self.first.setdefault((user, key), button)
        if first != button:
            return note(incoming, f"您已作答（{first}），以第一次作答为准。", key, answer=first)
        return note(incoming, "已记录，答案揭晓前不可更改。", key, answer=button)

    def close(self, chat: Chat) -> Outgoing:
        """Question 1 closes: one message that reveals it and asks question 2."""
        self.open_key = Q2_KEY
        return Outgoing(chat, CLOSE_TEXT, choices=("对", "错"), key=Q2_KEY, closes=Q1_KEY, answer="B")


class Harness(Protocol):
    """One adapter on its fake platform, the core replaced by `core`."""
    core: PolicyCore
    group: Chat
    forged_id: str  # a card id no adapter made, as the platform would carry it
    closes_cards: bool  # the platform can update a card for everyone (question 1's cards close on the reveal)
    pushes_cards: bool  # a message the core sends on its own can be a card (not in WeCom's callback mode)

    async def start_contest(self) -> Any:
        """u9 types 开始竞赛: question 1's card as the group got it."""

    async def tap(self, user: str, card: Any, choice: str) -> CardView:
        """`user` taps `choice` on `card`; what their card shows afterwards."""

    async def tap_forged(self, user: str, choice: str) -> CardView: ...

    async def type(self, user: str, text: str) -> None: ...

    async def send(self, message: Outgoing) -> None:
        """The core sends `message` on its own (a timer's reveal, a note)."""

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
    assert await h.tap("u1", card, "B") == CardView("B", "已记录，答案揭晓前不可更改。")
    assert core.taps[-1] == ("u1", "B", Q1_KEY)
    assert await h.group_since(mark) == []

    mark = h.mark()
    again = await h.tap("u1", card, "A")
    assert again.answered == "B" and "以第一次作答为准" in again.text
    assert core.taps[-1] == ("u1", "A", Q1_KEY)
    assert await h.group_since(mark) == []

    mark = h.mark()
    await h.type("u2", "C")
    await h.send(Outgoing(h.group, "只给 u1 看的话", private_to="u1", about=Q1_KEY))
    assert await h.group_since(mark) == []

    mark = h.mark()
    await h.send(core.close(h.group))
    got = await h.group_since(mark)  # where no card fits, the text says how to answer after it
    assert len(got) == 1 and got[0].startswith((CARD if h.pushes_cards else "") + CLOSE_TEXT), got
    if h.closes_cards:
        assert await h.closed_for_everyone(card) == "本题已结束，正确答案：B"

    mark = h.mark()
    assert await h.tap("u1", card, "C") == CardView("", "本题已结束，本次作答不计分。")
    assert core.taps[-1] == ("u1", "C", Q1_KEY)
    assert await h.group_since(mark) == []

    mark = h.mark()
    assert await h.tap_forged("u3", "A") == CardView("", "本题已结束，本次作答不计分。")
    assert core.taps[-1] == ("u3", "A", h.forged_id)
    assert await h.group_since(mark) == []
