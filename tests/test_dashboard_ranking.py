"""排行's SQL (bot/storage/dashboard_ranking.py, bot/storage/ranking.py branch_ranking): every page, with ties across
page ends, a search and a branch's scope, against the competition ranks computed here over the same totals
(SQLite, and PostgreSQL when the tests are given one)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text

from bot.storage.dashboard_ranking import rank_of_points, ranked_members
from bot.storage.db import Database
from bot.storage.ranking import branch_ranking, member_ranking_all
from bot.storage.scope import Scope

NOW = datetime(2026, 3, 4, 10, 0)
# member n (1..40) in branch 1 + n % 3, with points: ties of 2 and 3 members, some with none, one of another key
POINTS = {n: (n * 7) % 11 * 10 for n in range(1, 41)}


def _database(url: str) -> Database:
    db = Database(url)
    db.create_schema()
    with db.engine.begin() as conn:
        for b in (1, 2, 3):
            conn.execute(text("INSERT INTO branch (id, name) VALUES (:i, :n)"),
                         {"i": b, "n": f"第{b}支部"})
        for n, points in POINTS.items():
            conn.execute(text("INSERT INTO member (id, name, branch_id, role, created_at, rostered, category, "
                              "position, party_group) VALUES (:i, :n, :b, 'member', :t, true, '', '', '')"),
                         {"i": n, "n": f"党员{n:02d}", "b": 1 + n % 3, "t": NOW})
            conn.execute(text("INSERT INTO points_total (member_id, period_key, points, branch_id) "
                              "VALUES (:i, 'ALL', :p, :b)"), {"i": n, "p": points, "b": 1 + n % 3})
            conn.execute(text("INSERT INTO points_total (member_id, period_key, points, branch_id) "
                              "VALUES (:i, 'Y2026', 1, :b)"), {"i": n, "b": 1 + n % 3})
    return db


def _expected(members: list[int]) -> list[tuple[int, int, int]]:
    """(rank, member id, points) by points then id, competition ranks over `members` (those with points)."""
    held = sorted((m for m in members if POINTS[m] > 0), key=lambda m: (-POINTS[m], m))
    return [(1 + sum(POINTS[o] > POINTS[m] for o in held), m, POINTS[m]) for m in held]


def test_rank_of_points_is_one_more_than_those_ahead() -> None:
    assert rank_of_points({30: 2, 20: 1, 10: 3}) == {30: 1, 20: 3, 10: 4}
    assert rank_of_points({}) == {}


def test_every_page_search_and_scope_rank_as_studybot_rank(database_url: str) -> None:
    db = _database(database_url)
    everyone, branch_two = list(POINTS), [n for n in POINTS if 1 + n % 3 == 2]
    with db.session() as session:
        for scope, members in ((Scope(everything=True), everyone), (Scope(branch_ids=frozenset({2})), branch_two)):
            want = _expected(members)
            for size in (1, 3, 7, 50):
                got = []
                for offset in range(0, len(want) + size, size):
                    page, total = ranked_members(session, period_key="ALL", scope=scope, offset=offset, limit=size)
                    assert total == len(want)
                    got += [(r.rank, r.member_id, r.points) for r in page]
                assert got == want
            found, total = ranked_members(session, period_key="ALL", scope=scope, search="党员1", limit=3, offset=2)
            with_one = [w for w in want if f"党员{w[1]:02d}".startswith("党员1")]
            assert total == len(with_one) and [(r.rank, r.member_id, r.points) for r in found] == with_one[2:5]
        whole, _ = ranked_members(session, period_key="ALL", scope=Scope(everything=True), limit=None)
        cli = member_ranking_all(session=session, period_key="ALL")
        assert [(r.rank, r.member_id, r.name, r.branch, r.points) for r in whole] == \
            [(r.rank, r.member_id, r.name, r.branch, r.points) for r in cli]
        assert ranked_members(session, period_key="ALL", scope=Scope(member_id=5), limit=None)[1] == 1


def test_branch_ranking_totals(database_url: str) -> None:
    db = _database(database_url)
    with db.session() as session:
        ranked = {b.branch_id: b for b in branch_ranking(session=session, period_key="ALL")}
        for b in (1, 2, 3):
            mine = [n for n in POINTS if 1 + n % 3 == b]
            assert (ranked[b].members, ranked[b].participants, ranked[b].total_points) == (
                len(mine), sum(POINTS[n] > 0 for n in mine), sum(POINTS[n] for n in mine))
        assert [b.branch_id for b in branch_ranking(session=session, period_key="ALL", branch_ids={3})] == [3]
        assert branch_ranking(session=session, period_key="ALL", branch_ids=set()) == []
