"""Schema migrations with Alembic (issue 19): a new database is made at the newest revision, exactly as the models
describe it; a database of the first revision keeps every row through the revisions after it; a failed upgrade
leaves the database as it was; a database upgraded by newer code is refused; one process upgrades while the others
wait. On SQLite, and on PostgreSQL when STUDYBOT_TEST_POSTGRES names a server (skipped, and said, otherwise)."""

from __future__ import annotations

import linecache
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from migration_scripts import GATES, TEST_REVISION, Gate, scripts_with
from pg_databases import database_url as pg_url
from pg_databases import postgres_database
from schema_rows import every_row, fill_every_table

from bot.storage import schema, schema_lock
from bot.storage.db import Database, DatabaseUnavailable
from bot.storage.migrations.baseline import baseline_metadata
from bot.storage.migrations.baseline.ledger_guard import LEDGER_REFUSAL
from bot.storage.migrations.compare import compare_options, model_metadata
from bot.storage.schema import MIGRATIONS, SchemaUpgradeFailed, alembic_config, upgrade_schema
from bot.storage.schema_lock import UPGRADE_LOCK_KEY

POSTGRES = os.environ.get("STUDYBOT_TEST_POSTGRES")


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind; PostgreSQL's made for the test and dropped after it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/t.db"
        return
    if not POSTGRES:
        pytest.skip("未设置 STUDYBOT_TEST_POSTGRES：迁移测试只在 SQLite 上运行")
    with postgres_database(POSTGRES, "studybot_migrations") as name:
        yield pg_url(POSTGRES, name)


@pytest.fixture
def db(url: str) -> Iterator[Database]:
    database = Database(url)
    yield database
    database.dispose()


def test_a_new_database_is_made_at_the_newest_revision_exactly_as_the_models_describe_it(db: Database) -> None:
    db.create_schema()
    state = db.schema()
    assert state.up_to_date and state.pending == ()
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=compare_options(model_metadata()))
        assert compare_metadata(context, model_metadata()) == []  # a model changed without a revision fails here
        assert conn.exec_driver_sql("SELECT id, version FROM schema_version").all() == [(1, 11)]  # for code before
    with db.engine.begin() as conn:
        fill_every_table(conn, baseline_metadata(), rows=1, skip=("schema_version",))
    with pytest.raises(sa.exc.DatabaseError, match=LEDGER_REFUSAL), db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE points_ledger SET amount = 100")


def test_starting_again_on_an_up_to_date_database_changes_nothing(db: Database) -> None:
    db.create_schema()
    before, after = upgrade_schema(db.engine)
    assert before == after and after.up_to_date


def test_the_revisions_form_one_line_numbered_in_order() -> None:
    """Two branches that both add 0002 give two heads; the one merged second is renumbered (docs/migrations.md)."""
    scripts = ScriptDirectory.from_config(alembic_config())
    assert len(scripts.get_heads()) == 1
    line = [script.revision for script in reversed(list(scripts.walk_revisions()))]
    assert line == [f"{number:04d}" for number in range(1, len(line) + 1)]
    assert sorted(path.name[:4] for path in (MIGRATIONS / "versions").glob("*.py")) == line


def rows_of(conn: sa.Connection) -> dict[str, list[dict[str, Any]]]:
    tables = sa.MetaData()
    tables.reflect(conn)
    tables.remove(tables.tables["alembic_version"])
    return every_row(conn, tables)


def test_a_database_of_the_first_revision_keeps_every_row_through_the_revisions_after_it(
        db: Database, tmp_path: Path) -> None:
    with db.engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
        fill_every_table(conn, baseline_metadata(), rows=3, skip=("schema_version",))
        before = rows_of(conn)
    # the real revisions after 0001, then one that rebuilds the member table, which a dozen others refer to (SQLite
    # copies it: batch mode), as a revision changing a column's type would
    migrations = scripts_with(tmp_path, """
        with op.batch_alter_table("member") as batch:
            batch.add_column(sa.Column("nickname", sa.String(50), nullable=False, server_default=""))
            batch.alter_column("name", type_=sa.String(200), existing_type=sa.String(100), existing_nullable=False)
        from bot.storage.migrations.member_changes import count_member_changes
        count_member_changes(op.get_bind())  # as docs/migrations.md asks of a revision that rebuilds the member table
    """)
    was, now = upgrade_schema(db.engine, migrations)
    assert (was.revisions, now.revisions) == (("0001",), (TEST_REVISION,))
    with db.engine.connect() as conn:
        after = rows_of(conn)
        filled = len(baseline_metadata().tables) - 1  # all but schema_version, which has its one row
        assert set(after) == set(before) | {"change_count"} and sum(map(len, after.values())) == 3 * filled + 2
        assert after["change_count"] == [{"name": "member", "n": 0}]
        for table, rows in before.items():
            kept = [{column: row[column] for column in rows[0]} for row in after[table]]
            assert kept == rows, table
        assert {row["nickname"] for row in after["member"]} == {""}
        if db.is_sqlite:  # foreign keys were off while the table was copied: none may point nowhere
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        assert "ix_member_roster_facts" in {index["name"] for index in sa.inspect(conn).get_indexes("member")}
    with pytest.raises(sa.exc.DatabaseError, match=LEDGER_REFUSAL), db.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM points_ledger")
    with db.engine.begin() as conn:  # the rebuilt member table's changes are counted still
        conn.exec_driver_sql("UPDATE member SET position = '书记' WHERE id = (SELECT MIN(id) FROM member)")
        assert conn.exec_driver_sql("SELECT n FROM change_count").scalar_one() == 1


def test_a_failed_upgrade_is_said_in_chinese_and_leaves_the_database_as_it_was(db: Database, tmp_path: Path) -> None:
    db.create_schema()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO branch (name) VALUES ('第一党支部')")
    migrations = scripts_with(tmp_path, """
        op.add_column("branch", sa.Column("test_motto", sa.String(50)))
        op.execute("UPDATE branch SET test_motto = '不忘初心'")
        raise RuntimeError("这一步出错了")
    """)
    with pytest.raises(SchemaUpgradeFailed) as failed:
        upgrade_schema(db.engine, migrations)
    assert str(failed.value).startswith(f"数据库结构升级到 {TEST_REVISION} 失败（这一步出错了），本次升级的改动已撤销")
    assert db.schema().up_to_date  # still at the code's own newest revision, 9001 never recorded
    with db.engine.connect() as conn:
        assert "test_motto" not in {column["name"] for column in sa.inspect(conn).get_columns("branch")}
        assert conn.exec_driver_sql("SELECT id, name FROM branch").all() == [(1, "第一党支部")]


def test_a_database_upgraded_by_newer_code_is_refused_and_left_alone(db: Database, url: str) -> None:
    db.create_schema()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    older = Database(url)
    with pytest.raises(DatabaseUnavailable) as refused:
        older.create_schema()
    older.dispose()
    head = db.schema().head
    assert str(refused.value) == (
        f"数据库的结构版本是 0099，本程序只认识到 {head}：数据库已由更新版本的 studybot 升级过。请把本程序升级到与数"
        "据库相同或更新的版本后再启动：本程序不认识新的结构，继续运行可能读错或写坏数据。")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").all() == [("0099",)]


def test_one_process_upgrades_while_another_waits_then_finds_it_done(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gate = GATES[tmp_path.name] = Gate()
    migrations = scripts_with(tmp_path, f"""
        GATES[{tmp_path.name!r}].pass_through()
        op.create_table("upgrade_probe", sa.Column("id", sa.Integer, primary_key=True))
    """)
    second_at_lock = threading.Event()
    real_lock = schema.one_upgrader

    def watched(engine: sa.Engine) -> Any:
        if threading.current_thread().name == "second":
            second_at_lock.set()
        return real_lock(engine)

    monkeypatch.setattr(schema, "one_upgrader", watched)
    # two connections waiting on each other fail this test within a minute and a half, not after 10 minutes each
    # (the whole suite was once seen hanging with this test among the last begun)
    monkeypatch.setattr(schema_lock, "SQLITE_UPGRADE_WAIT", 90)
    results: dict[str, Any] = {}

    def instance(name: str) -> None:
        database = Database(url)  # each its own engine and connections, as two processes would have
        try:
            results[name] = upgrade_schema(database.engine, migrations)
        except Exception as exc:  # handed to the test's thread
            results[name] = exc
        finally:
            database.dispose()

    first = threading.Thread(target=instance, args=("first",), name="first")
    first.start()
    assert gate.reached.wait(timeout=60)  # the first is inside the revision, holding the lock
    second = threading.Thread(target=instance, args=("second",), name="second")
    second.start()
    assert second_at_lock.wait(timeout=60)
    if url.startswith("postgresql"):
        wait_for_a_waiting_advisory_lock(url)
    else:
        wait_for_the_write_lock(second)
    gate.release.set()
    first.join(timeout=60)
    second.join(timeout=60)
    (first_before, first_after), (second_before, second_after) = results["first"], results["second"]
    assert gate.runs == 1
    assert not first_before.up_to_date and first_after.revisions == (TEST_REVISION,)
    assert second_before.up_to_date and second_after.revisions == (TEST_REVISION,)  # it found the work done


def wait_for_the_write_lock(thread: threading.Thread) -> None:
    """Until `thread` waits in BEGIN IMMEDIATE for SQLite's write lock (SQLite does not say who waits; the thread's
    stack does: it stays on that line only while another connection holds the lock)."""
    for _ in range(6000):
        frame = sys._current_frames().get(thread.ident or 0)
        while frame is not None:
            if "BEGIN IMMEDIATE" in linecache.getline(frame.f_code.co_filename, frame.f_lineno):
                return
            frame = frame.f_back
        threading.Event().wait(0.01)
    raise AssertionError("the second instance never waited for the write lock")


def wait_for_a_waiting_advisory_lock(url: str) -> None:
    """Until the second instance waits on the upgrade lock in this database (PostgreSQL says so in pg_locks)."""
    engine = sa.create_engine(url)
    query = sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database()) AND objid = :low")
    try:
        with engine.connect() as conn:
            for _ in range(6000):
                if conn.execute(query, {"low": UPGRADE_LOCK_KEY & 0xFFFF_FFFF}).scalar():
                    return
                conn.rollback()
                threading.Event().wait(0.01)
        raise AssertionError("the second instance never waited for the upgrade lock")
    finally:
        engine.dispose()


def test_head_is_the_newest_revision_and_an_up_to_date_start_needs_no_alembic(tmp_path: Path) -> None:
    from bot.storage.migrations import HEAD

    assert HEAD == ScriptDirectory.from_config(alembic_config()).get_current_head()
    url = f"sqlite:///{tmp_path}/t.db"
    Database(url).create_schema()  # made (Alembic runs)
    started = subprocess.run(  # a start on it, as every `studybot` command makes one: the one query, no Alembic
        [sys.executable, "-c", "import sys; from bot.storage.db import Database; d = Database(sys.argv[1]); "
         "d.create_schema(); print('alembic' in sys.modules)", url], capture_output=True, text=True, check=True)
    assert started.stdout.split()[-1] == "False", started.stdout + started.stderr
