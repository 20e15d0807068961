"""DingTalk card data rules (issue 13): private and shared variables never clash, values of at most 1 KB,
a tap's action data in `content` or (older SDKs) `value`."""

from __future__ import annotations

import json

from bot.channels.dingtalk import cards
from bot.messages import Chat, Outgoing


def test_private_and_shared_variables_never_clash() -> None:
    private = set(cards.answered_data("B")) | set(cards.stale_data())
    shared = set(cards.closed_data("B"))
    assert private == {"my_status", "answered"} and not private & shared


def test_a_tap_is_read_from_content_or_value() -> None:
    action = json.dumps({"cardPrivateData": {"actionIds": ["answer"], "params": {"choice": "b"}}})
    for field in ("content", "value"):
        tap = cards.parse_tap({"outTrackId": "t1", "userId": "u1", field: action})
        assert tap is not None and tap.choice == "B" and tap.space_id == ""


def test_a_value_over_one_kilobyte_does_not_fit() -> None:
    chat = Chat("dingtalk", "cid", True, "g")
    short = Outgoing(chat, "第 1 题\nA. 甲\nB. 乙", choices=("A", "B"))
    assert cards.fits(cards.question_card_data(short))
    long = Outgoing(chat, "第 1 题 " + "很长的题干" * 80 + "\nA. 甲\nB. 乙", choices=("A", "B"))
    assert not cards.fits(cards.question_card_data(long))
