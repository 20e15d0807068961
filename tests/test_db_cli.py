"""`studybot db current` and `studybot db upgrade`: the schema's revision in Chinese, with exit codes a deploy script
can test; an upgrade keeps the rows; a database newer than the program is refused by every command."""

from __future__ import annotations

from pathlib import Path

from before_alembic import forget_alembic
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.storage.db import Database

runner = CliRunner()


def db_command(config: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(build_cli(), [*args, "--config", str(config)])
    return result.exit_code, result.output


def database(config: Path) -> Database:
    return Database(f"sqlite:///{config.parent / 't.db'}")


def test_an_up_to_date_database_says_so(cli_config: Path) -> None:
    head = database(cli_config).schema().head
    assert db_command(cli_config, "db", "current") == (0, f"数据库：sqlite:///{cli_config.parent / 't.db'}\n"
                                                          f"结构版本：{head}（最新）\n")
    assert db_command(cli_config, "db", "upgrade") == (0, f"数据库结构已是最新版本 {head}，无需升级。\n")


def test_a_database_from_before_alembic_is_shown_behind_then_upgraded_with_its_rows(cli_config: Path) -> None:
    db = database(cli_config)
    with db.engine.begin() as conn:  # as studybot left it at schema_version 8: no dashboard tables, no revision
        conn.exec_driver_sql("INSERT INTO branch (name) VALUES ('第一党支部')")
        for table in ("web_login", "web_audit", "web_key"):
            conn.exec_driver_sql(f"DROP TABLE {table}")
        conn.exec_driver_sql("UPDATE schema_version SET version = 8")
        forget_alembic(conn)
    head = db.schema().head
    code, output = db_command(cli_config, "db", "current")
    assert code == 1 and output.splitlines()[1:] == [
        "结构版本：旧式版本号 8（schema_version，早于 0001）", f"本程序的最新版本：{head}",
        f"待升级：{'、'.join(revision for revision, _ in db.schema().pending)}（共 {len(db.schema().pending)} 步）",
        "运行 studybot db upgrade 升级；启动 studybot run 时也会先自动升级。"]
    assert db_command(cli_config, "db", "upgrade") == (0, (
        f"正在升级数据库结构：旧式版本号 8（schema_version，早于 0001） → {head} ……\n"
        f"已升级：旧式版本号 8（schema_version，早于 0001） → {head}，数据全部保留。\n"))
    assert db.schema().up_to_date
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT name FROM branch").all() == [("第一党支部",)]
        assert conn.exec_driver_sql("SELECT count(*) FROM web_key").scalar() == 0  # made again, empty
    db.dispose()


def test_a_database_newer_than_the_program_is_refused_by_every_command(cli_config: Path) -> None:
    db = database(cli_config)
    head = db.schema().head
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0099'")
    db.dispose()
    refusal = (f"数据库的结构版本是 0099，本程序只认识到 {head}：数据库已由更新版本的 studybot 升级过。请把本程序升级到"
               "与数据库相同或更新的版本后再启动：本程序不认识新的结构，继续运行可能读错或写坏数据。")
    code, output = db_command(cli_config, "db", "current")
    assert code == 2 and output.splitlines()[1:] == ["结构版本：0099（比本程序新）", refusal]
    assert db_command(cli_config, "db", "upgrade") == (2, refusal + "\n")
    assert db_command(cli_config, "rank") == (2, f"数据库不可用：{refusal}\n")  # as `studybot run` would


def test_a_missing_database_file_is_not_made_by_asking(tmp_path: Path, no_config_env: None) -> None:
    config = tmp_path / "studybot.yaml"
    config.write_text(f"database:\n  url: sqlite:///{tmp_path / 'typo.db'}\n", encoding="utf-8")
    code, output = db_command(config, "db", "current")
    assert code == 2 and output.startswith(f"数据库文件 {tmp_path / 'typo.db'} 不存在")
    assert db_command(config, "db", "upgrade")[0] == 2 and not (tmp_path / "typo.db").exists()
