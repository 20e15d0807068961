"""Whom a 补记 names: the members of the meeting's branch by name (a 列席 may be from another branch), and for
a name the roster does not have, the names it was probably meant to be."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field

from sqlmodel import Session, select

from bot.storage.branches import branch_names
from bot.storage.models import Member
from bot.storage.people import members_of_branch
from safeio.text import plain_name

__all__ = ["NAME_SEPARATORS", "split_names", "Roster"]

NAME_SEPARATORS = re.compile(r"[、,，;；]+")


def split_names(words: list[str]) -> list[str]:
    """「张三、李四」 and 「张三 李四」 alike: the names, each once, in the order written."""
    names = [plain_name(part) or part for word in words for part in NAME_SEPARATORS.split(word) if part.strip()]
    return list(dict.fromkeys(names))


@dataclass
class Roster:
    """The meeting's branch's members by name; `others` (列席): members of the other branches too."""
    branch: str
    members: dict[str, list[Member]]
    others: dict[str, list[Member]] = field(default_factory=dict)
    branches: dict[int, str] = field(default_factory=dict)

    @classmethod
    def of(cls, session: Session, branch_id: int) -> Roster:
        branches = branch_names(session=session)
        members: dict[str, list[Member]] = defaultdict(list)
        for member in members_of_branch(session=session, branch_id=branch_id):
            members[member.name].append(member)
        others: dict[str, list[Member]] = defaultdict(list)
        for member in session.exec(select(Member).where(Member.branch_id != branch_id).order_by(Member.id)):
            others[member.name].append(member)
        return cls(branches.get(branch_id, ""), dict(members), dict(others), branches)

    def knows(self, name: str) -> bool:
        return name in self.members

    def resolve(self, names: list[str], *, anywhere: bool) -> tuple[list[Member], str]:
        """The members `names` mean (`anywhere`: a name not in the branch may be a member elsewhere, for 列席),
        or ([], why not) naming every name that is unknown or ambiguous."""
        found: list[Member] = []
        unknown: list[str] = []
        twins: list[str] = []
        for name in names:
            hits = self.members.get(name) or (self.others.get(name, []) if anywhere else [])
            if len(hits) == 1:
                found.append(hits[0])
            elif hits:
                twins.append(name)
            else:
                unknown.append(self._unknown(name))
        problems = []
        if unknown:
            problems.append(f"{self.branch}的花名册中没有：{'、'.join(unknown)}。")
        if twins:
            problems.append(f"{'、'.join(f'「{n}」' for n in twins)}有同名的几位党员，无法区分；"
                            "请在花名册中把姓名区分开（如 张三（财务））后再补记。")
        if problems:
            return [], "".join(problems) + "没有补记任何人，请核对姓名后重发。"
        return found, ""

    def _unknown(self, name: str) -> str:
        elsewhere = self.others.get(name, [])
        if elsewhere:
            where = "、".join(dict.fromkeys(self.branches.get(m.branch_id or 0, "未分支部") for m in elsewhere))
            return f"{name}（在{where}，如为列席请写：列席 {name}）"
        close = difflib.get_close_matches(name, list(self.members), n=3, cutoff=0.5)
        return f"{name}（是不是{'、'.join(f'「{c}」' for c in close)}？）" if close else name
