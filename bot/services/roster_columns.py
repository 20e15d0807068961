"""A roster's Party columns: 党员类别 (正式/预备/入党积极分子/群众), 支部职务 (书记, 副书记, 组织委员 …) and 党小组,
the spellings their headers take in real rosters, and the role a 支部职务 gives (书记 → 书记, 副书记 and every 委员
→ 委员; 管理员 only ever from the 角色 column)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.storage.models_records import MEMBER_CATEGORIES
from safeio.text import character_problem, plain_text
from scheduler.meetings import position_role

__all__ = ["PARTY_COLUMNS", "PARTY_ALIASES", "CATEGORY_BY_LABEL", "PartyCells", "party_cells"]

PARTY_COLUMNS = ("党员类别", "支部职务", "党小组")
# header spellings (spaces dropped, lower case) -> canonical column
PARTY_ALIASES = {
    "党员类别": "党员类别", "类别": "党员类别", "人员类别": "党员类别", "党员类型": "党员类别", "政治面貌": "党员类别",
    "支部职务": "支部职务", "职务": "支部职务", "党内职务": "支部职务", "党务职务": "支部职务", "支委职务": "支部职务",
    "党小组": "党小组", "所在党小组": "党小组", "党小组名称": "党小组", "小组": "党小组",
}
# what people write under 党员类别 (or 政治面貌) -> member.category
CATEGORY_BY_LABEL = {
    **{label: key for key, label in MEMBER_CATEGORIES.items()}, **{key: key for key in MEMBER_CATEGORIES},
    "正式": "full", "中共党员": "full", "党员": "full",
    "预备": "probationary", "中共预备党员": "probationary",
    "积极分子": "activist", "发展对象": "activist",
    "共青团员": "masses", "团员": "masses",
}
_CATEGORY_CHOICES = "、".join(MEMBER_CATEGORIES.values())
_MAX_LENGTH = {"支部职务": 30, "党小组": 100}


@dataclass(frozen=True)
class PartyCells:
    """A row's Party columns; None where the file has no such column (an existing member keeps theirs)."""
    category: str | None = None
    position: str | None = None
    party_group: str | None = None
    position_role: str | None = None  # the role its 支部职务 gives (None: no 支部职务 column)


def _clip(text: str) -> str:
    return text if len(text) <= 30 else text[:30] + "…"


def party_cells(where: str, cells: Mapping[str, str]) -> tuple[PartyCells, list[str]]:
    """Read a row's 党员类别, 支部职务 and 党小组 (`cells`: column -> cell text, for the columns the file has);
    the problems name the row (`where`: 「名册.csv 第 5 行」)."""
    problems: list[str] = []
    for column in PARTY_COLUMNS:
        if column in cells and (unsafe := character_problem(column, cells[column])):
            problems.append(f"{where}：{unsafe}")
    if problems:
        return PartyCells(), problems
    category = position = party_group = role = None
    if "党员类别" in cells:
        text = "".join(plain_text(cells["党员类别"]).split())
        category = CATEGORY_BY_LABEL.get(text.lower()) if text else ""
        if category is None:
            problems.append(f"{where}：不认识的党员类别「{_clip(text)}」，应为 {_CATEGORY_CHOICES} 之一")
    if "支部职务" in cells:
        position = " ".join(plain_text(cells["支部职务"]).split())
        role = position_role(position)
        if len(position) > _MAX_LENGTH["支部职务"]:
            problems.append(f"{where}：支部职务过长（最多 {_MAX_LENGTH['支部职务']} 个字）")
        elif role is None:
            problems.append(f"{where}：不认识的支部职务「{_clip(position)}」，应为书记、副书记或某委员"
                            "（组织委员、宣传委员、纪检委员等），党小组长或没有职务的可写「无」或留空")
    if "党小组" in cells:
        party_group = "".join(plain_text(cells["党小组"]).split())
        if len(party_group) > _MAX_LENGTH["党小组"]:
            problems.append(f"{where}：党小组名称过长（最多 {_MAX_LENGTH['党小组']} 个字）")
    return PartyCells(category, position, party_group, role), problems
