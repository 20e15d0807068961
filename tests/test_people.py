"""bot.storage.people: linking a chat account to the roster member it belongs to, and what the
whole bot then shows (the directory registers senders through register_member)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import T0, group_msg, private_msg, texts
from sqlalchemy import text
from sqlmodel import Session, select

from bot.app import App
from bot.storage.branches import get_or_create_branch
from bot.storage.db import Database
from bot.storage.models import Branch, Identity, Member
from bot.storage.people import register_member, upsert_member

GROUP = "第一党支部"


@pytest.fixture
def session(tmp_path: Path):
    db = Database(f"sqlite:///{tmp_path / 'people.db'}")
    db.create_schema()
    with db.session() as session:
        yield session
    db.dispose()


def roster(session: Session, *people: tuple[str, str | None, dict[str, str]]) -> list[Member]:
    """Members as `studybot members import` (branch) or a private first message (None) leaves them."""
    members = []
    for name, branch, accounts in people:
        if branch is None:
            member = Member(name=name, branch_id=None, created_at=T0)
            session.add(member)
            session.flush()
            for channel, account in accounts.items():
                session.add(Identity(channel=channel, external_id=account, member_id=member.id))
        else:
            branch_id = get_or_create_branch(session=session, name=branch).id
            member, _ = upsert_member(session=session, name=name, branch_id=branch_id, role="member",
                                      identities=accounts, now=T0, match=False)
        members.append(member)
    session.flush()
    return members


def branch_id(session: Session, name: str) -> int:
    return get_or_create_branch(session=session, name=name).id


def everyone(session: Session) -> list[tuple[str, str | None, dict[str, str]]]:
    branches = {b.id: b.name for b in session.exec(select(Branch)).all()}
    accounts: dict[int, dict[str, str]] = {}
    for identity in session.exec(select(Identity)).all():
        accounts.setdefault(identity.member_id, {})[identity.channel] = identity.external_id
    return [(m.name, branches.get(m.branch_id), accounts.get(m.id, {}))
            for m in session.exec(select(Member).order_by(Member.id)).all()]


def register(session: Session, name: str, account: str, branch: str | None, channel: str = "local") -> Member:
    return register_member(session=session, channel=channel, external_id=account, name=name,
                           branch_id=None if branch is None else branch_id(session, branch), now=T0)


# ----- register_member -----

def test_a_private_first_message_links_the_only_roster_member_of_that_name(session: Session) -> None:
    [zhang, _li] = roster(session, ("张三", "第一党支部", {"wecom": "zs"}), ("李四", "第二党支部", {}))
    assert register(session, "张三", "u-zs", None).id == zhang.id
    assert register(session, "李四", "u-ls", None).branch_id == branch_id(session, "第二党支部")
    assert everyone(session) == [("张三", "第一党支部", {"wecom": "zs", "local": "u-zs"}),
                                 ("李四", "第二党支部", {"local": "u-ls"})]


def test_a_private_first_message_with_two_namesakes_makes_a_new_member(session: Session) -> None:
    roster(session, ("张三", "第一党支部", {}), ("张三", "第二党支部", {}))
    member = register(session, "张三", "u-zs", None)
    assert member.branch_id is None
    assert everyone(session)[2] == ("张三", None, {"local": "u-zs"})


def test_a_group_message_prefers_the_namesake_of_the_groups_branch(session: Session) -> None:
    [first, second] = roster(session, ("张三", "第一党支部", {}), ("张三", "第二党支部", {}))
    assert register(session, "张三", "u-zs2", "第二党支部").id == second.id
    # the other 张三 writes in his group next: the one left unlinked is his
    assert register(session, "张三", "u-zs1", "第一党支部").id == first.id
    assert len(everyone(session)) == 2


def test_namesakes_already_linked_on_the_channel_are_someone_else(session: Session) -> None:
    [zhang] = roster(session, ("张三", "第一党支部", {"local": "u-zs"}))
    other = register(session, "张三", "u-zs-b", "第一党支部")
    assert other.id != zhang.id
    assert everyone(session) == [("张三", "第一党支部", {"local": "u-zs"}), ("张三", "第一党支部", {"local": "u-zs-b"})]
    # on another channel both are unlinked, so nothing tells which 张三 writes: a new member
    assert register(session, "张三", "dd-zs", "第一党支部", channel="dingtalk").id not in (zhang.id, other.id)


def test_two_unlinked_namesakes_in_the_groups_branch_make_a_new_member(session: Session) -> None:
    namesakes = roster(session, ("张三", "第一党支部", {}), ("张三", "第一党支部", {}))
    assert register(session, "张三", "u-zs", "第一党支部").id not in {m.id for m in namesakes}
    assert len(everyone(session)) == 3


def test_a_group_message_does_not_take_a_namesake_of_another_branch(session: Session) -> None:
    [zhang] = roster(session, ("张三", "第一党支部", {}))
    member = register(session, "张三", "u-zs", "第二党支部")
    assert member.id != zhang.id and member.branch_id == branch_id(session, "第二党支部")


def test_a_group_message_links_a_namesake_known_only_on_another_channel_and_gives_them_the_branch(
        session: Session) -> None:
    [zhang] = roster(session, ("张三", None, {"dingtalk": "dd-zs"}))
    member = register(session, "张三", "u-zs", "第一党支部")
    assert member.id == zhang.id
    assert everyone(session) == [("张三", "第一党支部", {"dingtalk": "dd-zs", "local": "u-zs"})]


# ----- through the whole bot -----

def say(app: App, name: str, words: str) -> list[str]:
    return texts(app.handle(group_msg(name, words, GROUP, at=app.clock.now())))


def whisper(app: App, name: str, words: str) -> list[str]:
    return texts(app.handle(private_msg(name, words, at=app.clock.now())))


def members(app: App) -> list[tuple[str, str | None, str | None]]:
    """(name, branch, local account) for every member."""
    with app.db.session() as session:
        return [tuple(r) for r in session.execute(text(
            "SELECT m.name, b.name, i.external_id FROM member m LEFT JOIN branch b ON b.id = m.branch_id "
            "LEFT JOIN identity i ON i.member_id = m.id AND i.channel = 'local' ORDER BY m.id")).all()]


def import_roster_rows(app: App, *names: str) -> None:
    with app.db.session() as session:
        branch = get_or_create_branch(session=session, name=GROUP)
        for name in names:
            upsert_member(session=session, name=name, branch_id=branch.id, role="member",
                          identities={"wecom": f"wx-{name}"}, now=T0)
        session.commit()


def test_a_roster_member_writing_privately_first_is_not_duplicated(app: App) -> None:
    import_roster_rows(app, "张三", "李四")
    [reply] = whisper(app, "张三", "我的积分")
    assert reply.startswith("📊 张三 的党建积分")
    assert members(app) == [("张三", GROUP, "张三"), ("李四", GROUP, None)]

    say(app, "张三", "大家好")
    [ranking] = say(app, "李四", "支部排行")
    assert f"{GROUP} 人均 0.0 分（总 0 分，参与率 0%，2 人）" in ranking  # not 3: no second 张三
    assert members(app) == [("张三", GROUP, "张三"), ("李四", GROUP, "李四")]


def test_someone_known_only_privately_joins_the_branch_of_the_group_they_write_in(app: App) -> None:
    import_roster_rows(app, "李四")
    whisper(app, "赵六", "我的积分")
    assert members(app) == [("李四", GROUP, None), ("赵六", None, "赵六")]
    assert "（总 0 分，参与率 0%，1 人）" in say(app, "李四", "支部排行")[0]

    say(app, "赵六", "大家好")
    assert members(app) == [("李四", GROUP, "李四"), ("赵六", GROUP, "赵六")]
    assert f"{GROUP} 人均 0.0 分（总 0 分，参与率 0%，2 人）" in say(app, "李四", "支部排行")[0]
    # and stays one person when writing privately again
    assert whisper(app, "赵六", "我的积分")[0].startswith("📊 赵六 的党建积分")
    assert len(members(app)) == 2
