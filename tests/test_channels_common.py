"""The mechanisms every channel shares (bot/channels/common/): one splitter, one mention rule, one
rate window, one log masker, one reconnect backoff, and waits bounded by an injected sleep."""

from __future__ import annotations

import asyncio
import logging

import pytest
from helpers import FakeTime, Sleeps

from bot.channels.common.aio import within
from bot.channels.common.backoff import Backoff
from bot.channels.common.masking import mask_in_log, without_query
from bot.channels.common.mentions import join_parts, strip_mentions
from bot.channels.common.rate_window import RateWindow
from bot.channels.common.replays import ReplayGuard
from bot.channels.common.reply_cache import MAX_ENTRIES, TTLCache
from bot.channels.common.split import split_text

# ----- splitting -----


def test_a_text_that_fits_goes_as_it_is_and_a_blank_one_not_at_all() -> None:
    assert split_text("第一行\n第二行\n", 100) == ["第一行\n第二行\n"]
    assert split_text("", 100) == [] and split_text(" \n\n ", 100) == []


def test_a_long_text_is_cut_between_lines_and_the_cut_leaves_no_gap() -> None:
    text = "一二三\n\n四五六\n\n七八九"  # 9 bytes a line
    assert split_text(text, 15) == ["一二三", "四五六", "七八九"]  # the blank lines at each cut dropped
    assert split_text("甲\r\n乙\r\n丙", 7) == ["甲\n乙", "丙"]  # any line break
    assert split_text("a\nb\n\nc", 4) == ["a\nb", "c"]


def test_a_line_longer_than_the_limit_is_cut_between_characters() -> None:
    pieces = split_text("党" * 10 + "\n短", 10)
    assert pieces == ["党党党", "党党党", "党党党", "党\n短"] and all(len(p.encode()) <= 10 for p in pieces)
    assert split_text("😀😀", 3) == ["😀", "😀"]  # a character wider than the limit goes alone, whole


# ----- what a member typed -----


def test_leading_mentions_and_the_robots_own_anywhere_are_stripped() -> None:
    assert strip_mentions("@学习助手 开始竞赛", "学习助手") == "开始竞赛"
    assert strip_mentions("@学习助手\u2005我的积分", "学习助手") == "我的积分"  # WeCom's mention space
    assert strip_mentions(" @张三@李四 A", "学习助手") == "A"
    assert strip_mentions("开始竞赛 @学习助手", "学习助手") == "开始竞赛"
    assert strip_mentions("发邮件到 a@b.cn", "学习助手") == "发邮件到 a@b.cn"
    assert strip_mentions("@学习助手", "学习助手") == ""


def test_the_text_parts_of_a_message_are_its_lines() -> None:
    assert strip_mentions(join_parts(["@学习助手 我的", "积分"]), "学习助手") == "我的\n积分"


# ----- the rate window -----


def test_the_window_waits_for_the_oldest_message_to_leave_each_limit() -> None:
    window = RateWindow(((2, 10.0), (3, 100.0)))
    assert window.wait("g", 0.0) == 0.0
    window.record("g", 0.0)
    window.record("g", 1.0)
    assert window.wait("g", 2.0) == 8.0 and window.wait("other", 2.0) == 0.0
    window.record("g", 10.0)
    assert window.wait("g", 11.0) == 89.0  # the hourly-style limit is the longer wait now
    window.forget_idle(200.0)
    assert window.wait("g", 200.0) == 0.0


# ----- secrets in the log -----


def test_query_secrets_are_masked_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.masked")
    mask_in_log("key", logger="test.masked")
    mask_in_log("access_token", "sign", logger="test.masked")
    mask_in_log("key", logger="test.masked")  # once is enough
    assert len(logger.filters) == 1
    with caplog.at_level(logging.INFO, logger="test.masked"):
        logger.info("POST %s %d", "https://x/send?key=SECRET1&debug=1", 200)
        logger.info("POST %s", "https://x/robot/send?access_token=SECRET2&timestamp=1&sign=SECRET3")
    assert "SECRET" not in caplog.text
    assert "key=***&debug=1" in caplog.text and "access_token=***&timestamp=1&sign=***" in caplog.text
    assert without_query("connect to wss://x/connect?ticket=T1 failed") == "connect to wss://x/connect"


# ----- reconnect backoff -----


def test_backoff_doubles_to_its_cap_starts_again_after_a_stable_run_and_waits_long_after_a_refusal() -> None:
    now = [0.0]
    backoff = Backoff(base=1.0, cap=8.0, stable_after=60.0, seed=1, clock=lambda: now[0])
    delays = [backoff.next_delay() for _ in range(5)]
    for delay, ceiling in zip(delays, [1, 2, 4, 8, 8]):
        assert ceiling / 2 <= delay <= ceiling
    backoff.up()
    now[0] = 30.0
    assert 4 <= backoff.next_delay() <= 8  # a short run: still backing off
    backoff.up()
    now[0] = 100.0
    assert 0.5 <= backoff.next_delay() <= 1  # it stayed up a minute: short again
    assert 4 <= backoff.next_delay(refused=True) <= 8  # wrong credentials: the cap at once


# ----- waits bounded by an injected sleep -----


def test_within_gives_up_when_its_sleep_ends_first() -> None:
    sleeps = Sleeps()

    async def scenario() -> None:
        done = asyncio.Event()
        finished = asyncio.ensure_future(within(done.wait(), 10.0, sleeps.sleep))
        await sleeps.waiting()
        done.set()
        assert await finished is True and sleeps.pending() == []  # its timer was abandoned
        stuck = asyncio.ensure_future(within(asyncio.Event().wait(), 10.0, sleeps.sleep))
        await sleeps.end()
        assert await stuck is False and sleeps.now == 1010.0

    asyncio.run(asyncio.wait_for(scenario(), 5))


def test_a_pair_is_new_once_then_the_same_request_again_and_another_body_a_replay() -> None:
    time = FakeTime(1_700_000_000.0)
    guard = ReplayGuard(window=300, clock=time.clock)
    assert guard.stale("1700000300") is None and guard.stale("1700000301") is not None
    assert guard.seen("1700000300", "n1", b"<xml>1</xml>") == "new"  # as far ahead as the window allows
    assert guard.seen("1700000300", "n1", b"<xml>1</xml>") == "again"
    assert guard.seen("1700000300", "n1", b"<xml>2</xml>") == "replay"
    assert guard.seen("1700000300", "n2", b"<xml>2</xml>") == "new"
    assert guard.seen("1700000301", "n1", b"<xml>2</xml>") == "new"
    time.now += 600  # its timestamp still passes the window: still remembered
    assert guard.stale("1700000300") is None and guard.seen("1700000300", "n1", b"<xml>3</xml>") == "replay"
    time.now += 1  # forgotten only once the window refuses it anyway
    assert guard.stale("1700000300") is not None and guard.seen("1700000300", "n1", b"<xml>3</xml>") == "new"


def test_the_pairs_remembered_are_capped_under_a_flood() -> None:
    guard = ReplayGuard(window=300, clock=FakeTime().clock, remember=1_000)
    assert all(guard.seen("1000", f"nonce-{i}", b"x") == "new" for i in range(12_000))
    assert len(guard) == 1_000
    assert guard.seen("1000", "nonce-11999", b"y") == "replay"  # the newest are the ones kept
    assert guard.seen("1000", "n" * 100_000, b"x") == "new" and len(guard) == 1_000  # a long nonce costs no more


def test_every_cache_is_capped_by_size() -> None:
    capped: TTLCache[int] = TTLCache(300, 1_000)
    for i in range(12_000):
        capped.put(f"msg{i}", i)
    assert len(capped) == 1_000 and capped.get("msg11999") == 11999 and capped.get("msg0") is None
    default: TTLCache[int] = TTLCache(300)  # no cache is without a cap
    for i in range(MAX_ENTRIES + 10_000):
        default.put(i, i)
    assert len(default) == MAX_ENTRIES
