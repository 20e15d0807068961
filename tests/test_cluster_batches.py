"""The ingress's batches on an instance of a cluster (bot/cluster/node.py handle_many, PostgreSQL): at a standby a
whole batch goes to the inbox in one transaction, nothing handled here and no reply, a platform's retry stored
once; the leader's batch is fenced (a lease lost since refuses it, and the batch goes to the inbox too)."""

from __future__ import annotations

from pathlib import Path

from helpers import T0, group_msg, make_app
from sqlalchemy import text

from bot.clock import ManualClock
from bot.cluster.node import join_cluster


def _inbox(app) -> list[tuple[str, str]]:
    with app.db.session() as session:
        return [tuple(row) for row in session.execute(text("SELECT channel, message_id FROM inbox ORDER BY id"))]


def _handled(app) -> int:
    with app.db.session() as session:
        return session.execute(text("SELECT COUNT(*) FROM processed_message")).scalar_one()


def test_a_standby_hands_a_whole_batch_to_the_leader(tmp_path: Path, postgres_url: str) -> None:
    app = make_app(tmp_path, ManualClock(T0), database={"url": postgres_url})
    try:
        join_cluster(app)  # its lease loop is not running: it does not lead
        batch = [group_msg("张三", "你好", message_id="m1"), group_msg("李四", "积分", message_id="m2"),
                 group_msg("张三", "你好", message_id="m1")]  # the platform's retry of m1
        assert app.handle_many(batch) == [[], [], []]
        assert _inbox(app) == [("local", "m1"), ("local", "m2")]
        assert _handled(app) == 0  # nothing handled on the standby
    finally:
        app.close()


def test_a_leader_whose_lease_is_gone_hands_its_batch_over_too(tmp_path: Path, postgres_url: str) -> None:
    app = make_app(tmp_path, ManualClock(T0), database={"url": postgres_url})
    try:
        node = join_cluster(app)
        node.leadership.valid = lambda: True  # it believes it leads, but holds no lease row: the fence refuses
        assert app.handle_many([group_msg("张三", "你好", message_id="m3")]) == [[]]
        assert _inbox(app) == [("local", "m3")]
        assert _handled(app) == 0  # the batch's commit was rolled back
    finally:
        app.close()
