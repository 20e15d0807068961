"""Two `studybot run` on one PostgreSQL (tests/cluster_processes.py): the leader SIGKILLed in the middle of a
contest and of a 5,000-push fan-out, its connections cut (pg_terminate_backend), and paused past its lease
(SIGSTOP, SIGCONT). What the fake WeCom API received is what members would see."""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from cluster_processes import Cluster
from fakes.wecom_api import WEBHOOK, FakeWeComAPI

from bot.clock import SystemClock
from bot.storage.db import Database
from bot.storage.outbox import Push, enqueue

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX")

GROUP = "wrG1"


def bodies(api: FakeWeComAPI) -> list[str]:
    return [request.content for request in api.received(WEBHOOK)]


@pytest.fixture
def api():
    with FakeWeComAPI() as fake:
        yield fake


def test_the_leader_killed_mid_contest_the_standby_resumes_it_and_counts_every_answer_once(
        tmp_path: Path, postgres_url: str, api: FakeWeComAPI) -> None:
    cluster = Cluster(tmp_path, postgres_url, api.url, [19510, 19511], {GROUP: "K1"})
    a, b = cluster["a"], cluster["b"]
    try:
        cluster.start_led_by_a()
        assert cluster.leader() == "a"
        cluster.say(b, "m0", "开始竞赛 单选题库 2 15秒", GROUP)  # at the standby: the leader starts it
        cluster.wait_until(lambda: any("第 1/2 题" in body for body in bodies(api)), 20, "question 1")
        for i in range(10):  # answers at both instances
            cluster.say(a if i % 2 else b, f"m{i}", "A", GROUP)
        cluster.wait_until(lambda: cluster.scalar("SELECT count(*) FROM contest_answer") == 10, 20, "10 answers")
        killed = time.monotonic()
        a.kill()
        cluster.wait_leader("b", timeout=20)
        took_over = time.monotonic() - killed
        cluster.wait_until(lambda: any("第 2/2 题" in body for body in bodies(api)), 30, "question 2 from b")
        for i in range(5):
            cluster.say(b, f"m{i}", "A", GROUP)
        cluster.wait_until(lambda: cluster.scalar("SELECT count(*) FROM contest_answer") == 15, 20, "15 answers")
        cluster.wait_until(lambda: cluster.scalar("SELECT count(*) FROM contest WHERE status = 'running'") == 0,
                           40, "the contest to end")
        cluster.wait_until(lambda: cluster.scalar("SELECT count(*) FROM points_ledger WHERE reason = 'contest'")
                           == 15, 20, "the points")
        time.sleep(0.5)  # the results' webhook request follows the commit
        seen = bodies(api)
        assert len(seen) == len(set(seen)), Counter(seen).most_common(3)  # nothing sent twice
        assert took_over < 15
        stored = cluster.scalar("SELECT count(DISTINCT (contest_id, question_index, member_id)) FROM contest_answer")
        assert stored == 15  # every answer once
    finally:
        cluster.close()


def test_the_leader_killed_mid_fan_out_sends_no_push_twice_and_none_is_lost_unsaid(tmp_path: Path, postgres_url: str,
                                                        api: FakeWeComAPI) -> None:
    groups = {f"wrG{i}": f"K{i}" for i in range(1000)}
    cluster = Cluster(tmp_path, postgres_url, api.url, [19512, 19513], groups)
    a = cluster["a"]
    try:
        cluster.start_led_by_a()
        db = Database(postgres_url)
        now = SystemClock().now()
        with db.session() as session:  # 5 pushes to each of 1,000 groups, due now: a plan's fan-out
            enqueue(session=session, now=now, pushes=[
                Push(f"fan:{g}:{n}", "study", "wecom", group, group, True, f"学习推送 {group} 第 {n} 篇", now)
                for g, group in enumerate(groups) for n in range(5)])
            session.commit()
        db.dispose()
        cluster.wait_until(lambda: len(api.received(WEBHOOK)) >= 1500, 60, "1,500 pushes")
        a.kill()
        cluster.wait_leader("b", timeout=20)
        cluster.wait_until(lambda: cluster.scalar("SELECT count(*) FROM outbox WHERE status = 'pending'") == 0,
                           90, "every push sent or settled")
        time.sleep(0.5)
        seen = Counter(bodies(api))
        expected = {f"学习推送 {group} 第 {n} 篇" for group in groups for n in range(5)}
        assert not [body for body, count in seen.items() if count > 1]  # nothing sent twice
        # a push the dead leader had handed to its channel may be in the chat already: unsure, not sent again;
        # one it had not handed over yet is sent by the new leader. None is lost without a word: what did not
        # arrive is a push the dead leader was in the middle of handing over, and its row says so
        unsure = {row[0] for row in cluster.rows("SELECT text FROM outbox WHERE status = 'unsure'")}
        assert expected - set(seen) <= unsure
        assert cluster.scalar("SELECT count(*) FROM outbox WHERE status = 'sent'") + len(unsure) == 5000
        print(f"in flight at the kill, unsure and not sent again: {len(unsure)}; of them not received: "
              f"{len(expected - set(seen))}")
        assert len(unsure) <= 64  # at most what the dead leader had in flight
    finally:
        cluster.close()


def test_a_leader_cut_off_from_the_database_steps_down_and_the_other_leads(tmp_path: Path, postgres_url: str,
                                                                            api: FakeWeComAPI) -> None:
    cluster = Cluster(tmp_path, postgres_url, api.url, [19514, 19515], {GROUP: "K1"})
    a = cluster["a"]
    try:
        cluster.start_led_by_a()
        cluster.scalar("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name "
                       "LIKE :mine", mine=f"studybot:{a.unique}%")  # every connection of a's, the lease's too
        cluster.wait_until(lambda: "steps down" in a.output(), 20, "a to step down")
        cluster.wait_leader("b", timeout=20)
        cluster.say(a, "m1", "开始竞赛 单选题库 2 30秒", GROUP)  # a, now a standby, hands it to b
        cluster.wait_until(lambda: any("第 1/2 题" in body for body in bodies(api)), 20, "question 1 from b")
        assert cluster.leader() == "b"
    finally:
        cluster.close()


def test_a_leader_paused_past_its_lease_sends_and_runs_nothing_when_it_wakes(tmp_path: Path, postgres_url: str,
                                                                             api: FakeWeComAPI) -> None:
    cluster = Cluster(tmp_path, postgres_url, api.url, [19516, 19517], {GROUP: "K1"})
    a, b = cluster["a"], cluster["b"]
    try:
        cluster.start_led_by_a()
        cluster.say(b, "m0", "开始竞赛 单选题库 2 6秒", GROUP)
        cluster.wait_until(lambda: any("第 1/2 题" in body for body in bodies(api)), 20, "question 1")
        db = Database(postgres_url)
        now = SystemClock().now()
        with db.session() as session:  # due while a is stopped
            enqueue(session=session, now=now, pushes=[
                Push(f"later:{n}", "study", "wecom", GROUP, GROUP, True, f"稍后推送 {n}", now + timedelta(seconds=4))
                for n in range(5)])
            session.commit()
        db.dispose()
        a.signal(signal.SIGSTOP)  # its lease (2 s) runs out; the deadline (6 s) and the pushes come due meanwhile
        cluster.wait_leader("b", timeout=20)
        cluster.wait_until(lambda: any("第 2/2 题" in body for body in bodies(api)), 30, "question 2 from b")
        cluster.wait_until(lambda: cluster.scalar("SELECT count(*) FROM outbox WHERE status = 'sent'") == 5, 30,
                           "the pushes from b")
        a.signal(signal.SIGCONT)
        cluster.wait_until(lambda: "steps down" in a.output(), 20, "a to step down")
        cluster.wait_until(lambda: cluster.scalar("SELECT count(*) FROM contest WHERE status = 'running'") == 0,
                           40, "the contest to end")
        time.sleep(1.0)  # what a might still send after waking would arrive by now
        seen = bodies(api)
        assert len(seen) == len(set(seen)), Counter(seen).most_common(3)  # a sent nothing again
        assert sum("稍后推送" in body for body in seen) == 5
        assert cluster.leader() == "b"
    finally:
        cluster.close()
