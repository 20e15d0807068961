"""Who must attend a meeting (应到人员): a 支委会 the 支部委员, a 党小组会 that 小组's 党员, the other meetings the
branch's 正式 and 预备 党员; and which 支部职务 make someone a 书记 or a 委员 (who may manage the branch).

Pure: people are passed in as Person (what the roster says about them), nothing is read here."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["WHO", "WHO_COMMITTEE", "WHO_GROUP", "WHO_MEMBERS", "Person", "position_role", "is_committee",
           "is_party_member", "expected_people", "who_text"]

WHO_COMMITTEE, WHO_GROUP, WHO_MEMBERS = "支委", "小组", "全体党员"
WHO = (WHO_COMMITTEE, WHO_GROUP, WHO_MEMBERS)  # meetings.types `who`

# member.category values that are Party members; "" (a roster without a 党员类别 column) counts as one
_PARTY_CATEGORIES = ("full", "probationary", "")
_COMMITTEE_ROLES = ("secretary", "committee")
# 支部职务 that are no committee post (a 党小组长 manages nothing in the bot)
_NO_POST = {"", "无", "党员", "普通党员", "成员", "-", "—", "/", "／", "党小组长", "党小组组长", "小组长", "组长"}
_SEPARATORS = re.compile(r"[、,，;；/／]|兼")
_PREFIXES = ("中共", "党支部", "党总支", "支部")


@dataclass(frozen=True)
class Person:
    id: int
    role: str = "member"  # member.role: member, secretary, committee, admin
    category: str = ""  # member.category: full, probationary, activist, masses, or "" (unknown: a 党员)
    position: str = ""  # 支部职务 as the roster wrote it
    party_group: str = ""


def _one_post(post: str) -> str | None:
    for prefix in _PREFIXES:
        post = post.removeprefix(prefix)
    if post == "书记":
        return "secretary"
    if post in ("副书记", "支委", "委员") or post.endswith("委员"):
        return "committee"
    return "member" if post in _NO_POST else None


def position_role(position: str) -> str | None:
    """The role a 支部职务 gives: 书记 → secretary; 副书记 and every 委员 (组织委员, 宣传委员, 纪检委员 …) →
    committee; no post (blank, 无, 党小组长) → member; None for a post not known. 「书记兼纪检委员」 and
    「副书记、组织委员」 give the higher of their posts."""
    posts = [_one_post(post) for post in _SEPARATORS.split(re.sub(r"\s+", "", position))]
    if any(post is None for post in posts):
        return None
    for role in ("secretary", "committee"):
        if role in posts:
            return role
    return "member"


def is_committee(person: Person) -> bool:
    """A 支部委员 (书记, 副书记, 委员): by the role the roster gave, or by the 支部职务."""
    return person.role in _COMMITTEE_ROLES or position_role(person.position) in _COMMITTEE_ROLES


def is_party_member(person: Person) -> bool:
    return person.category in _PARTY_CATEGORIES


def expected_people(who: str, people: Iterable[Person], party_group: str = "") -> list[Person]:
    """The branch's people who must attend a meeting for `who` (in the order given). 小组 with no `party_group`
    (a branch without 党小组) is the whole branch's 党员."""
    if who == WHO_COMMITTEE:
        return [p for p in people if is_committee(p)]
    if who == WHO_GROUP and party_group:
        return [p for p in people if is_party_member(p) and p.party_group == party_group]
    return [p for p in people if is_party_member(p)]


def who_text(who: str, party_group: str = "") -> str:
    """Who must attend, as a member reads it: 「支部委员（书记、副书记、委员）」."""
    if who == WHO_COMMITTEE:
        return "支部委员（书记、副书记、委员）"
    if who == WHO_GROUP and party_group:
        return f"{party_group}的党员"
    return "本支部的正式党员和预备党员"
