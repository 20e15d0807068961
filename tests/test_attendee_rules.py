"""Who must attend (scheduler/meetings/attendees.py), the quorum (quorum.py), `who` in meetings.types and the
党小组 a 党小组会 names: pure rules, no database."""

from __future__ import annotations

from datetime import datetime

import pytest

from scheduler.meetings import (
    DEFAULT_TYPES,
    TZ,
    WHO_COMMITTEE,
    WHO_GROUP,
    WHO_MEMBERS,
    MeetingError,
    Person,
    expected_people,
    find_type,
    meeting_types,
    parse_meeting,
    position_role,
    quorum,
    quorum_problem,
)

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)


@pytest.mark.parametrize(("position", "role"), [
    ("书记", "secretary"), ("支部书记", "secretary"), ("党支部书记", "secretary"), ("副书记", "committee"),
    ("组织委员", "committee"), ("宣传委员", "committee"), ("纪检委员", "committee"), ("青年委员", "committee"),
    ("支部委员", "committee"), ("支委", "committee"), ("书记兼纪检委员", "secretary"),
    ("副书记、组织委员", "committee"), ("", "member"), ("无", "member"), ("党小组长", "member"),
    ("组织 委员", "committee"),
    ("主任", None), ("书记员", None), ("组织委员、会计", None),
])
def test_a_position_gives_a_role_or_is_not_known(position: str, role: str | None) -> None:
    assert position_role(position) == role


BRANCH = [
    Person(1, "secretary", "full", "", "第一党小组"),  # 书记 by the 角色 column
    Person(2, "member", "full", "组织委员", "第一党小组"),  # 委员 by the 支部职务
    Person(3, "member", "full", "", "第一党小组"),
    Person(4, "member", "probationary", "", "第二党小组"),
    Person(5, "member", "activist", "", "第二党小组"),
    Person(6, "member", "masses", "", ""),
    Person(7, "member", "", "", "第二党小组"),  # a roster without 党员类别: a 党员
    Person(8, "admin", "full", "副书记", "第二党小组"),
    Person(9, "admin", "full", "", ""),  # a 管理员 only: not a 委员
]


def ids(people: list[Person]) -> list[int]:
    return [p.id for p in people]


def test_who_is_expected_per_kind_of_meeting() -> None:
    assert ids(expected_people(WHO_COMMITTEE, BRANCH)) == [1, 2, 8]
    assert ids(expected_people(WHO_GROUP, BRANCH, "第一党小组")) == [1, 2, 3]
    assert ids(expected_people(WHO_GROUP, BRANCH, "第二党小组")) == [4, 7, 8]  # not the 入党积极分子
    assert ids(expected_people(WHO_GROUP, BRANCH)) == [1, 2, 3, 4, 7, 8, 9]  # a branch without 小组: everyone
    assert ids(expected_people(WHO_MEMBERS, BRANCH)) == [1, 2, 3, 4, 7, 8, 9]  # 正式 and 预备, not 积极分子/群众


def test_the_default_types_expect_the_committee_a_group_or_every_member() -> None:
    who = {t.key: t.who for t in DEFAULT_TYPES}
    assert who == {"general_assembly": WHO_MEMBERS, "committee": WHO_COMMITTEE, "group": WHO_GROUP,
                   "lecture": WHO_MEMBERS, "theme_day": WHO_MEMBERS, "life_meeting": WHO_MEMBERS,
                   # the 党委's bodies: every member `meetings.groups` lists for the body
                   "study_group": WHO_MEMBERS, "party_committee": WHO_MEMBERS}


def test_who_is_configurable_and_checked() -> None:
    types = meeting_types({"主题党日": {"who": "小组"}, "党小组会": {"who": "全体党员"}})
    assert find_type(types, "主题党日").who == WHO_GROUP  # type: ignore[union-attr]
    assert find_type(types, "党小组会").who == WHO_MEMBERS  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="会议类型「党课」的 who 必须是 支委、小组、全体党员 之一，收到 '全体'"):
        meeting_types({"党课": {"who": "全体"}})
    with pytest.raises(ValueError, match="可设置 period、required、points、aliases、who"):
        meeting_types({"党课": {"whom": "支委"}})


# ----- the quorum -----

def people(*categories: str) -> list[Person]:
    return [Person(i, category=c) for i, c in enumerate(categories, start=1)]


def test_a_general_assembly_needs_half_of_the_full_members() -> None:
    branch = people("full", "full", "full", "full", "probationary", "probationary")
    assert quorum_problem("general_assembly", branch, {1, 2}) is None  # exactly half: enough
    assert quorum_problem("general_assembly", branch, {1, 5, 6}) == (
        "不足法定人数：应到正式党员 4 人，实到 1 人，未达半数，会议表决无效")  # 预备党员 have no vote
    counted = quorum("general_assembly", branch, {1, 2, 3})
    assert counted is not None and (counted.voters, counted.present, counted.met) == (4, 3, True)
    # a roster without 党员类别: everyone counts as a 正式党员
    assert quorum_problem("general_assembly", people("", "", ""), {1}) == (
        "不足法定人数：应到正式党员 3 人，实到 1 人，未达半数，会议表决无效")


def test_a_committee_meeting_needs_half_of_the_committee() -> None:
    committee = people("full", "full", "full", "full", "full")
    assert quorum_problem("committee", committee, {1, 2}) == (
        "不足法定人数：应到支部委员 5 人，实到 2 人，未达半数，会议表决无效")
    assert quorum_problem("committee", committee, {1, 2, 3}) is None
    assert quorum_problem("committee", people("full", "full", "full"), {9}) is not None  # a 列席 is not a 委员


def test_other_meetings_and_empty_lists_have_no_quorum() -> None:
    assert quorum("lecture", people("full", "full"), set()) is None
    assert quorum("group", people("full", "full"), set()) is None
    assert quorum("committee", [], set()) is None
    assert quorum("general_assembly", people("probationary"), set()) is None


# ----- 安排会议 党小组会 <小组> -----

def parse(text: str, groups: tuple[str, ...] = ()):
    return parse_meeting(text, types=DEFAULT_TYPES, now=NOW, groups=groups)


def error(text: str, groups: tuple[str, ...] = ()) -> str:
    with pytest.raises(MeetingError) as info:
        parse(text, groups)
    return str(info.value)


GROUPS = ("第一党小组", "第二党小组")


def test_a_group_meeting_names_its_group() -> None:
    draft = parse("党小组会 第二党小组 2026-12-10 14:30 二楼 学习党章", GROUPS)
    assert (draft.type.key, draft.party_group, draft.place, draft.topic) == ("group", "第二党小组", "二楼", "学习党章")
    assert draft.start == datetime(2026, 12, 10, 14, 30, tzinfo=TZ)
    assert parse("小组会 第一党小组 明天 9点", GROUPS).party_group == "第一党小组"
    # one 小组: it need not be named; no 小组: the whole branch
    assert parse("党小组会 2026-12-10 14:30", ("第一党小组",)).party_group == "第一党小组"
    assert parse("党小组会 2026-12-10 14:30").party_group == ""
    # other types take no 小组, whatever the branch has
    assert parse("支委会 2026-12-10 14:30 第一党小组", GROUPS).party_group == ""


def test_a_group_meeting_without_its_group_or_with_an_unknown_one_is_refused() -> None:
    assert error("党小组会 12月9日 9:00", GROUPS) == (
        "请写明是哪个党小组的党小组会，例如：安排会议 党小组会 第一党小组 12月9日 9:00"
        "（本支部的党小组：第一党小组、第二党小组）。")
    assert error("党小组会 第三党小组 2026-12-10 14:30", GROUPS) == (
        "本支部没有「第三党小组」，党小组有：第一党小组、第二党小组。")
    assert error("党小组会 第一党小组", GROUPS).startswith("缺少会议日期")
