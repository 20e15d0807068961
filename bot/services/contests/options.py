"""The settings a contest runs by (quizzes: in the config), gathered once by build_app."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ContestOptions"]


@dataclass(frozen=True)
class ContestOptions:
    default_count: int = 5
    max_count: int = 20
    default_limit: int = 30
    # a typed answer is acknowledged in the group (「张三 已作答第 1 题」) only where the group's branch has at
    # most this many members; a larger group gets one progress line per question instead (0: never acknowledge)
    acknowledge_up_to: int = 10
    # the roles whose contests earn 党建积分 (plans and the 全委竞赛 always do); another member's is a 练习赛
    scored_by: frozenset[str] = frozenset({"secretary", "committee", "admin"})
    # where the live contest page is opened (web address, no trailing slash): a contest's start message and its
    # starter get the link 「…/h5/contest/{id}」; "" = no links (h5.contest_links, decided by build_app)
    page_links: str = ""
    # the Official Account sends template messages (wechat_mp.link_template): a contest of a WeChat branch sends
    # its page's link to each member of the branch bound to WeChat, too
    member_links: bool = False
