"""A question on a WeCom template card, fitted to the text lengths WeCom recommends (its SDK's docs:
title 26, description 30, option 11, sub-title 112 characters; longer text is cut on screen).

The card holds the question when it fits: the header line as the title, the stem and its option
lines as the button card's sub-title, or the stem as the vote card's description with "A. 选项" as
the options. Nothing is cut where a member would miss it: what the card cannot hold goes, in full,
into a markdown message sent just before the card (`QuestionCard.above`, same conversation and lane,
so it arrives first):

- what precedes the question (a closed question's reveal before the next question: issue 12's one
  step, now a markdown and the card right after it);
- the whole question when its stem or an option is too long for the card, which then keeps its
  title (cut), says 「题目与选项见上条消息」 and shows the bare letters.

Pure functions over the message: no I/O, no ids made here (the caller gives the task id)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.messages import Outgoing

__all__ = ["TITLE_MAX", "DESC_MAX", "OPTION_MAX", "SUB_TITLE_MAX", "BUTTON_MAX", "VOTE_MAX", "SEE_ABOVE", "SUBMIT",
           "QuestionCard", "question_card", "is_answer_label", "cut", "with_mentions"]

TITLE_MAX = 26  # characters WeCom recommends for a card's title
DESC_MAX = 30  # … its description (main_title.desc)
OPTION_MAX = 11  # … a vote card's option
SUB_TITLE_MAX = 112  # … a button card's sub_title_text
BUTTON_MAX = 6
VOTE_MAX = 20
SEE_ABOVE = "题目与选项见上条消息"
SUBMIT = "submit"
_OPTION_LINE = re.compile(r"^\s*([A-Z])[.．、]\s*(.*)$")
_LABEL = re.compile(r"^(?:[A-Z]{1,20}|对|错)$")
_DECORATION = re.compile(r"^[^\w（(【\[]+\s*")  # a leading emoji and its space: dropped from a title too long


def is_answer_label(label: str) -> bool:
    return bool(_LABEL.match(label))


def cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def with_mentions(text: str, message: Outgoing) -> str:
    return text + ("\n" + " ".join(f"<@{user}>" for user in message.mentions) if message.mentions else "")


@dataclass(frozen=True)
class QuestionCard:
    above: str  # markdown to send just before the card ("" when the card holds everything)
    card: dict[str, Any]


def question_card(message: Outgoing, task_id: str) -> QuestionCard | None:
    """The card for a message with answer choices and what goes above it, or None where no card
    fits (no choices, more than 6 buttons, more than 20 vote options, a choice that is not a letter
    or 对/错)."""
    choices = message.choices
    if not choices or len(set(choices)) != len(choices) or not all(is_answer_label(c) for c in choices):
        return None
    if len(choices) > (VOTE_MAX if message.multiple else BUTTON_MAX):
        return None
    paragraphs = (message.markdown or message.text).strip().split("\n\n")
    lead, question = "\n\n".join(paragraphs[:-1]).strip(), paragraphs[-1].strip()
    lines = question.splitlines() or [""]
    title = _title(lines[0].strip())
    body = [line for line in lines[1:] if line.strip() and not line.strip().startswith("请回复")]
    options = {m[1]: m[2].strip() for line in body if (m := _OPTION_LINE.match(line))}
    stem = "\n".join(line for line in body if not _OPTION_LINE.match(line)).strip()
    if message.multiple:
        text = stem
        labels = {c: f"{c}. {options[c]}" if options.get(c) else c for c in choices}
        fits = len(stem) <= DESC_MAX and all(len(label) <= OPTION_MAX for label in labels.values())
    else:
        text, labels = "\n".join(body).strip(), {}
        fits = len(text) <= SUB_TITLE_MAX
    if title is not None and fits:
        above = with_mentions(lead, message) if lead else ""
        return QuestionCard(above, _card(message, task_id, title, text, labels))
    title = title or cut(_DECORATION.sub("", lines[0].strip()), TITLE_MAX) or "请作答"
    return QuestionCard(with_mentions((message.markdown or message.text).strip(), message),
                        _card(message, task_id, title, SEE_ABOVE, {c: c for c in choices}))


def _title(header: str) -> str | None:
    """The header as a title, its leading emoji dropped if that makes it fit; None if it does not fit."""
    if not header:
        return "请作答"
    if len(header) <= TITLE_MAX:
        return header
    bare = _DECORATION.sub("", header)
    return bare if len(bare) <= TITLE_MAX else None


def _card(message: Outgoing, task_id: str, title: str, text: str, labels: dict[str, str]) -> dict[str, Any]:
    if message.multiple:
        main_title = {"title": title}
        if text:
            main_title["desc"] = text
        return {
            "card_type": "vote_interaction",
            "main_title": main_title,
            "task_id": task_id,
            "checkbox": {
                "question_key": "answer",
                "mode": 1,
                "option_list": [{"id": c, "text": labels[c], "is_checked": False} for c in message.choices],
            },
            "submit_button": {"text": "提交", "key": f"{task_id}:{SUBMIT}"},
        }
    card: dict[str, Any] = {"card_type": "button_interaction", "main_title": {"title": title}, "task_id": task_id}
    if text:
        card["sub_title_text"] = text
    card["button_list"] = [{"text": c, "style": 1, "key": f"{task_id}:{c}"} for c in message.choices]
    return card
