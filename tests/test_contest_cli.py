"""`studybot contest start`: a 全委竞赛 ordered on the command line, started by the running bot; and what a
mistyped order is told."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from helpers import RecordingChannel
from typer.testing import CliRunner

from bot.app import build_app
from bot.cli import build_cli
from bot.settings import load_settings
from bot.storage.branches import get_or_create_group
from bot.storage.db import Database
from bot.storage.people import register_member

runner = CliRunner()


def invoke(config: Path, *args: str):
    return runner.invoke(build_cli(), [*args, "--config", str(config)])


@pytest.fixture
def groups(cli_config: Path, tmp_path: Path) -> Path:
    """Two branch groups the bot has seen, one member in each."""
    db = Database(f"sqlite:///{tmp_path / 't.db'}")
    db.create_schema()
    with db.session() as session:
        for name, member in (("第一党支部", "张三"), ("第二党支部", "王五")):
            group = get_or_create_group(session=session, channel="local", external_id=name, name=name,
                                        branch_name=name)
            register_member(session=session, channel="local", external_id=member, name=member,
                            branch_id=group.branch_id, now=datetime(2026, 9, 1, 9, 0))
        session.commit()
    db.dispose()
    return cli_config


def run_the_bot(config: Path) -> RecordingChannel:
    """The bot starting up (as `studybot run` would within a minute): it runs the jobs due now."""
    app = build_app(load_settings(config))
    channel = RecordingChannel()
    app.add_channel(channel)
    app.start()
    app.close()
    return channel


@pytest.mark.parametrize(("options", "groups_reached"), [
    (["--all-groups"], ["第一党支部", "第二党支部"]),
    (["--branches", "第二党支部"], ["第二党支部"]),
])
def test_an_ordered_round_is_started_by_the_running_bot(groups: Path, options, groups_reached) -> None:
    ordered = invoke(groups, "contest", "start", *options, "--bank", "党建基础知识", "--count", "2",
                     "--seconds", "20")
    assert ordered.exit_code == 0, ordered.output
    assert ordered.output.startswith("✅ 已安排全委竞赛：党建基础知识，2 题，每题 20 秒")
    channel = run_the_bot(groups)
    intros = [m for m in channel.sent if "党委 发起了全委竞赛：党建基础知识，共 2 题，每题限时 20 秒" in m.text]
    assert sorted(m.chat.name for m in intros) == groups_reached
    assert run_the_bot(groups).sent == []  # the job ran once: a second start finds nothing ordered


@pytest.mark.parametrize(("args", "said"), [
    ([], "--all-groups（全部群）或 --branches 第一党支部,第二党支部"),
    (["--all-groups", "--branches", "第一党支部"], "--all-groups（全部群）或 --branches 第一党支部,第二党支部"),
    (["--branches", "第九党支部"], "没有支部「第九党支部」。现有支部：第一党支部、第二党支部"),
    (["--all-groups", "--count", "五"], "--count「五」应为整数"),
    (["--all-groups", "--bank", "没有的题库"], "没有找到题库「没有的题库」"),
    (["--all-groups", "--count", "0"], "题数应在 1 到 20 之间"),
    (["--all-groups", "--seconds", "3"], "每题限时应在 5 到 600 秒之间"),
])
def test_a_bad_order_is_told_in_one_line_and_nothing_is_scheduled(groups: Path, args, said) -> None:
    result = invoke(groups, "contest", "start", *args)
    assert result.exit_code == 2 and said in result.output and "Traceback" not in result.output
    assert run_the_bot(groups).sent == []
