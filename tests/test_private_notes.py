"""The pieces every adapter shares for taps and notes (issue 12): a question's key written into a card
id and read back (common/card_keys.py), where a note for one member may go (common/private_notes.py),
and the channels without cards dropping such notes instead of posting them to a group. The whole
answer policy through the adapters is tests/test_answer_policy_contract.py."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest
from fakes.wecom_api import FakeWeComAPI
from helpers import FakeTime
from pydantic import SecretStr

from bot.channels.common import card_keys
from bot.channels.common.private_notes import dropped, split_notes
from bot.channels.wecom.webhook import GroupWebhooks, WeComWebhook
from bot.messages import Chat, Outgoing

GROUP = Chat("wecom", "wr1", True, "学习群")


@pytest.mark.parametrize("key", ["contest:12:q0", "contest:1:q10", "a_b-c", "每日一题:2026-12-06", "", "x" * 40])
def test_a_key_reads_back_from_its_card_id(key: str) -> None:
    encoded = card_keys.encode(key)
    assert all(c.isascii() and (c.isalnum() or c in "_-") for c in encoded)
    assert card_keys.decode(encoded) == key


def test_what_encode_did_not_write_does_not_read_back() -> None:
    assert [card_keys.decode(text) for text in ("a@b", "a.b", "_4", "_zz", "_FF", "a b")] == [None] * 6
    assert card_keys.encode("党:1", limit=9) == "_E5_85_9A"  # cut between whole characters


def note(text: str, user: str, about: str, answer: str = "") -> Outgoing:
    return Outgoing(GROUP, text, private_to=user, about=about, answer=answer)


def test_only_the_tapping_members_note_about_the_tapped_question_is_kept(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, "bot.channels.common.private_notes")
    reveal = Outgoing(GROUP, "第 1 题答案：B", closes="contest:1:q0", answer="B")
    mine = note("已作答", "u1", "contest:1:q0", "B")
    replies = [note("别人的", "u2", "contest:1:q0"), note("另一题的", "u1", "contest:1:q1"), mine, reveal,
               note("第二条", "u1", "contest:1:q0")]
    assert split_notes(replies, "u1", "contest:1:q0", "test") == (mine, [reveal])
    assert split_notes([mine, reveal], "u1", None, "test") == (None, [reveal])  # not a tap: no card for it
    assert len([r for r in caplog.records if "dropped" in r.getMessage()]) == 4
    assert dropped(mine, "test") and not dropped(reveal, "test")


def test_the_group_webhooks_never_post_a_note(api: FakeWeComAPI) -> None:
    fake = FakeTime()

    async def main() -> None:
        groups = GroupWebhooks(webhook=WeComWebhook(api_base_url=api.url, sleep=fake.sleep, clock=fake.clock),
                               keys={"学习群": SecretStr("hook-key")})
        await groups.start()
        groups.send(note("您已作答（B）", "u1", "contest:1:q0", "B"))
        await groups.deliver(note("该题已结束", "u1", "contest:1:q0"))
        await groups.deliver(Outgoing(GROUP, "第 1 题答案：B"))
        await groups.stop()

    asyncio.run(main())
    assert [r.content for r in api.received()] == ["第 1 题答案：B"]


@pytest.fixture
def api() -> Iterator[FakeWeComAPI]:
    with FakeWeComAPI(webhook_keys={"hook-key"}) as fake:
        yield fake
