"""Template cards for the WeCom smart robot: contest questions as buttons (单选, 判断) or a vote
card (多选), the per-user update that locks a member's answer after a click, and the parsing of
the click event. Shared by the long-connection and the HTTP-callback adapters.

Pure functions over dicts: no I/O, no clock, no state. The caller makes the card's unique part
of the task id (`make_task_id(key, unique)`) and keeps the cards it sent if it wants to update
them with their full text later. What a click means (an answer, a repeat, an older question's
card) is the core's to say: `note_card` shows its note for the member on the card they clicked.

Wire facts (see shared/research/wecom-smart-robot.md): `button_interaction` has at most 6
buttons `{"text","style","key"}` and the clicked key comes back as `event_key`;
`vote_interaction` has a checkbox (mode 1 = several) of at most 20 options and a submit
button; `task_id` is unique per robot, letters, digits and `_-@`, at most 128 bytes, never
reused for a new card and repeated unchanged in an update."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.channels.common import card_keys
from bot.messages import Outgoing

__all__ = [
    "BUTTON_MAX", "VOTE_MAX", "TASK_ID_MAX", "CardClick", "make_task_id", "question_of", "question_card",
    "answered_card", "closed_card", "note_card", "parse_card_event", "answer_hint", "fallback_markdown",
    "message_markdown", "is_answer_label",
]

BUTTON_MAX = 6
VOTE_MAX = 20
TASK_ID_MAX = 128
TITLE_MAX = 36  # characters; WeCom recommends about 26 and cuts longer titles on screen
OPTION_TEXT_MAX = 20
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
_OPTION_LINE = re.compile(r"^\s*([A-Z])[.．、]\s*(.*)$")
_LABEL = re.compile(r"^(?:[A-Z]{1,20}|对|错)$")
SUBMIT = "submit"
LOCKED = "locked"
CLOSED = "closed"


def make_task_id(key: str, unique: str) -> str:
    """`<key, encoded>@<unique>`, at most 128 bytes of `[A-Za-z0-9_-@]` ("contest_3A12_3Aq0@18c0a1"):
    the part before the last "@" reads back as the question's key (`question_of`)."""
    tail = "@" + (_UNSAFE.sub("-", unique).strip("-") or "0")
    return card_keys.encode(key, TASK_ID_MAX - len(tail)) + tail


def question_of(task_id: str) -> str:
    """The key of the question a card was made for, read back from its task id; for an id we did not
    make (forged, or another robot's), the id itself: the core answers a tap on it as on an unknown card."""
    base, at, _ = task_id.rpartition("@")
    key = card_keys.decode(base) if at else None
    return task_id if key is None else key


def is_answer_label(label: str) -> bool:
    return bool(_LABEL.match(label))


def _title_and_body(text: str) -> tuple[str, str]:
    lines = [line for line in text.strip().splitlines()]
    if not lines:
        return "请作答", ""
    title, body = lines[0].strip(), "\n".join(lines[1:]).strip()
    if len(title) > TITLE_MAX:
        title, body = "请作答", text.strip()
    return title, body


def _option_texts(text: str) -> dict[str, str]:
    """"A. 支部党员大会" lines of a question's text, by letter."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = _OPTION_LINE.match(line)
        if match and match[1] not in found:
            found[match[1]] = match[2].strip()
    return found


def question_card(message: Outgoing, task_id: str) -> dict[str, Any] | None:
    """The card for a message with answer choices, or None where none fits (no choices, more
    than 6 buttons, more than 20 vote options, a choice that is not a letter or 对/错)."""
    choices = message.choices
    if not choices or len(set(choices)) != len(choices) or not all(is_answer_label(c) for c in choices):
        return None
    title, body = _title_and_body(message.text)
    if message.multiple:
        if len(choices) > VOTE_MAX:
            return None
        options = _option_texts(message.text)
        main_title = {"title": title}
        if body:
            main_title["desc"] = _question_only(body)
        return {
            "card_type": "vote_interaction",
            "main_title": main_title,
            "task_id": task_id,
            "checkbox": {
                "question_key": "answer",
                "mode": 1,
                "option_list": [{"id": c, "text": _option_label(c, options.get(c, "")), "is_checked": False}
                                for c in choices],
            },
            "submit_button": {"text": "提交", "key": f"{task_id}:{SUBMIT}"},
        }
    if len(choices) > BUTTON_MAX:
        return None
    card: dict[str, Any] = {"card_type": "button_interaction", "main_title": {"title": title}, "task_id": task_id}
    if body:
        card["sub_title_text"] = body
    card["button_list"] = [{"text": c, "style": 1, "key": f"{task_id}:{c}"} for c in choices]
    return card


def _question_only(body: str) -> str:
    """The question without its option lines and the answer hint (the vote card lists the options)."""
    kept = [line for line in body.splitlines() if not _OPTION_LINE.match(line) and not line.startswith("请回复")]
    return "\n".join(kept).strip() or body


def _option_label(choice: str, text: str) -> str:
    if not text:
        return choice
    if len(text) > OPTION_TEXT_MAX:
        text = text[: OPTION_TEXT_MAX - 1] + "…"
    return f"{choice}. {text}"


def _minimal_card(task_id: str, card_type: str, answer: str) -> dict[str, Any]:
    """A stand-in when the sent card is no longer known (the adapter restarted)."""
    if card_type == "vote_interaction":
        letters = [c for c in answer if "A" <= c <= "Z"] or ["A"]
        return {"card_type": card_type, "main_title": {"title": "知识竞赛"}, "task_id": task_id,
                "checkbox": {"question_key": "answer", "mode": 1,
                             "option_list": [{"id": c, "text": c, "is_checked": False} for c in letters]},
                "submit_button": {"text": "提交", "key": f"{task_id}:{SUBMIT}"}}
    return {"card_type": "button_interaction", "main_title": {"title": "知识竞赛"}, "task_id": task_id,
            "button_list": []}


def answered_card(card: dict[str, Any] | None, *, task_id: str, card_type: str, answer: str,
                  note: str | None = None) -> dict[str, Any]:
    """The card as the member who clicked sees it afterwards: their answer shown, nothing left
    to press (the vote card disabled; the buttons replaced by one showing the choice). `note`
    (the bot's reply to the click) goes under the title."""
    locked = _copy(card) if card else _minimal_card(task_id, card_type, answer)
    locked["task_id"] = task_id
    title = dict(locked.get("main_title") or {"title": "知识竞赛"})
    title["desc"] = _cut(note or "已作答，答案揭晓前不可更改。", 44)
    locked["main_title"] = title
    if locked.get("card_type") == "vote_interaction":
        checkbox = dict(locked.get("checkbox") or {})
        checkbox["disable"] = True
        checkbox["option_list"] = [{**option, "is_checked": option.get("id") in answer}
                                   for option in checkbox.get("option_list", [])]
        locked["checkbox"] = checkbox
        locked["submit_button"] = {"text": f"已作答：{answer}", "key": f"{task_id}:{LOCKED}"}
    else:
        locked["button_list"] = [{"text": f"已作答：{answer}", "style": 2, "key": f"{task_id}:{LOCKED}"}]
    return locked


def closed_card(card: dict[str, Any] | None, *, task_id: str, card_type: str,
                note: str | None = None) -> dict[str, Any]:
    """A card whose question is over for the member who clicked it (an older question's card, or the
    core refused the click); `note` (the core's word on it) goes under the title."""
    closed = _copy(card) if card else _minimal_card(task_id, card_type, "")
    closed["task_id"] = task_id
    title = dict(closed.get("main_title") or {"title": "知识竞赛"})
    title["desc"] = _cut(note or "本题已结束，请作答最新的题目。", 44)
    closed["main_title"] = title
    if closed.get("card_type") == "vote_interaction":
        checkbox = dict(closed.get("checkbox") or {})
        checkbox["disable"] = True
        closed["checkbox"] = checkbox
        closed["submit_button"] = {"text": "本题已结束", "key": f"{task_id}:{CLOSED}"}
    else:
        closed["button_list"] = [{"text": "本题已结束", "style": 2, "key": f"{task_id}:{CLOSED}"}]
    return closed


def note_card(card: dict[str, Any] | None, note: Outgoing, *, task_id: str, card_type: str) -> dict[str, Any]:
    """The card as the member who clicked it sees it after the core's note for them (`private_to`): a
    note with an `answer` locks their answer, one without closes the card for them."""
    if note.answer:
        return answered_card(card, task_id=task_id, card_type=card_type, answer=note.answer, note=note.text)
    return closed_card(card, task_id=task_id, card_type=card_type, note=note.text)


def _copy(card: dict[str, Any]) -> dict[str, Any]:
    return {k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v) for k, v in card.items()}


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class CardClick:
    task_id: str
    card_type: str
    event_key: str
    answer: str  # "A", "AC", "对"; "" when the click carries no answer (a locked button, nothing ticked)


def _get(data: Any, *names: str) -> Any:
    """The first of `names` present: the docs' tables spell `eventkey`, the examples `event_key`."""
    if not isinstance(data, dict):
        return None
    for name in names:
        if name in data:
            return data[name]
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse_card_event(event: dict[str, Any]) -> CardClick | None:
    """The click in an event body's `event` (eventtype template_card_event): under
    `event.template_card_event` (WeCom's plugin) or on the event itself (the SDK's types); None when
    it is not one we can read (no task id). The answer comes from the vote card's ticked option ids
    or from the button's key `<task_id>:<label>`."""
    click = _get(event, "template_card_event", "templatecardevent")
    task_id = _get(click, "task_id", "taskid")
    if not isinstance(task_id, str) or not task_id:  # the SDK's types: the fields on the event itself
        click = event
        task_id = _get(click, "task_id", "taskid")
    if not isinstance(task_id, str) or not task_id:
        return None
    card_type = str(_get(click, "card_type", "cardtype") or "")
    event_key = str(_get(click, "event_key", "eventkey") or "")
    ids: list[str] = []
    selected = _get(click, "selected_items", "selecteditems")
    for item in _as_list(_get(selected, "selected_item", "selecteditem")):
        option_ids = _get(item, "option_ids", "optionids")
        ids += [str(i) for i in _as_list(_get(option_ids, "option_id", "optionid"))]
    if ids:
        letters = sorted({i for i in ids if len(i) == 1 and "A" <= i <= "Z"})
        answer = "".join(letters) if len(letters) == len(set(ids)) else ""
    else:
        label = event_key[len(task_id) + 1:] if event_key.startswith(task_id + ":") else event_key.rsplit(":", 1)[-1]
        answer = label if is_answer_label(label) else ""
    return CardClick(task_id=task_id, card_type=card_type, event_key=event_key, answer=answer)


def answer_hint(message: Outgoing, in_group: bool) -> str:
    """「@我 回复 A/B/C/D」: how to answer where there are no buttons."""
    if message.multiple:
        how = f"回复全部正确选项（{'/'.join(message.choices)}），如 {''.join(message.choices[:2])}"
    else:
        how = f"回复 {'/'.join(message.choices)}"
    return f"@我 {how}" if in_group else how


def message_markdown(message: Outgoing) -> str:
    """The markdown to send: the message's own markdown where it has one, else its text
    (plain text reads the same in WeCom markdown), with `<@userid>` for its mentions."""
    content = message.markdown or message.text
    if message.mentions:
        content += "\n" + " ".join(f"<@{user}>" for user in message.mentions)
    return content


def fallback_markdown(message: Outgoing, in_group: bool) -> str:
    """A question with choices where no card can be built: the text, then how to answer."""
    return f"{message_markdown(message)}\n{answer_hint(message, in_group)}"
