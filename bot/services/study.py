"""学习 / 搜索 / 已学: the study library in chat, and the text of a study push."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from bot.messages import Chat, Outgoing
from bot.services.context import Context
from bot.services.points_notes import cap_note, gained_text
from bot.storage.outbox import Push, last_item_for_branch
from bot.storage.points import award_points
from bot.storage.study import has_read, mark_read
from content.items import StudyItem, render_item
from content.library import Library
from scheduler.points import Category, PointsRules

__all__ = ["StudyService"]

log = logging.getLogger(__name__)

SEARCH_LIMIT = 5


class StudyService:
    def __init__(self, *, library: Library, points: int, rules: PointsRules | None = None) -> None:
        self.library = library
        self._points, self._rules = points, rules or PointsRules()
        self._index = None  # content.search.SearchIndex, built on the first search (jieba loads then)
        self._shown: dict[int, tuple[str, datetime]] = {}  # member id -> the item 学习 last showed them, when

    def points_for(self, item: StudyItem) -> int:
        return self._points if item.points is None else item.points

    def _footer(self, item: StudyItem) -> str:
        points = self.points_for(item)
        return f"读完后发送「已学」记录学习{f'，得 {points} 分' if points else ''}。"

    def push_text(self, item: StudyItem) -> str:
        return f"{render_item(item)}\n\n{self._footer(item)}"

    def push(self, *, item: StudyItem, chat: Chat, key: str, branch_id: int | None, due: datetime) -> Push:
        return Push(key=key, kind="study", channel=chat.channel, chat_id=chat.chat_id, chat_name=chat.name,
                    is_group=chat.is_group, text=self.push_text(item), due_at=due, item_id=item.id,
                    branch_id=branch_id)

    def today(self, session: Session, branch_id: int | None, now: datetime) -> StudyItem | None:
        """The item last pushed to the branch; without one, the library's item of the day."""
        return self._pushed_or_of_the_day(last_item_for_branch(session=session, branch_id=branch_id, before=now), now)

    def _pushed_or_of_the_day(self, pushed: tuple[str, datetime] | None, now: datetime) -> StudyItem | None:
        item = self.library.get(pushed[0]) if pushed else None
        if item is None and len(self.library):
            item = self.library.items[now.date().toordinal() % len(self.library)]
        return item

    # ----- commands -----

    def show(self, ctx: Context, ref: str | None) -> list[Outgoing]:
        if not len(self.library):
            return [ctx.reply("学习资料库是空的，请管理员在 content.dirs 中添加学习资料。")]
        if ref:
            item = self.library.get(ref)
            if item is None:
                return [ctx.reply(f"没有找到学习资料「{ref}」。发送「搜索 关键词」查找，例如：搜索 三会一课")]
        else:
            item = self.today(ctx.session, ctx.member.branch_id, ctx.now)
        assert item is not None
        self._shown[ctx.member.id] = (item.id, ctx.now)
        return [ctx.reply(self.push_text(item))]

    def search(self, ctx: Context, query: str) -> list[Outgoing]:
        query = query.strip()
        if not query:
            return [ctx.reply("请在「搜索」后写关键词，例如：搜索 三会一课")]
        if self._index is None:
            from content.search import SearchIndex  # jieba's dictionary loads with the first search

            self._index = SearchIndex(self.library)
        hits = self._index.search(query, SEARCH_LIMIT)
        if not hits:
            return [ctx.reply(f"没有找到与「{query[:20]}」有关的学习资料。换个关键词试试，例如：搜索 廉洁")]
        lines = [f"🔎 与「{query[:20]}」有关的学习资料："]
        for number, hit in enumerate(hits, start=1):
            summary = hit.item.summary[:40] + ("…" if len(hit.item.summary) > 40 else "")
            lines.append(f"{number}. 《{hit.item.title}》{summary}")
        lines.append(f"发送「学习 标题」阅读，例如：学习 {hits[0].item.title}")
        return [ctx.reply("\n".join(lines))]

    def mark_read(self, ctx: Context, ref: str | None) -> list[Outgoing]:
        if ref:
            item = self.library.get(ref)
            if item is None:
                return [ctx.reply(f"没有找到学习资料「{ref}」。")]
        else:
            # the newer of: what 学习 last showed this member, what was last pushed to their branch
            shown = self._shown.get(ctx.member.id)
            pushed = last_item_for_branch(session=ctx.session, branch_id=ctx.member.branch_id, before=ctx.now)
            if shown and (pushed is None or shown[1] >= pushed[1]):
                item = self.library.get(shown[0])
            else:
                item = self._pushed_or_of_the_day(pushed, ctx.now)
        if item is None:
            return [ctx.reply("还没有推送过学习资料。发送「学习」查看今天的学习内容。")]
        if has_read(session=ctx.session, member_id=ctx.member.id, item_id=item.id):
            return [ctx.reply(f"您已学过《{item.title}》，积分只计一次。发送「学习」看看其他内容。")]
        if not mark_read(session=ctx.session, member_id=ctx.member.id, item_id=item.id, now=ctx.now):
            return [ctx.reply(f"您已学过《{item.title}》，积分只计一次。")]
        points = self.points_for(item)
        if not points:
            return [ctx.reply(f"✅ {ctx.member.name} 已学习《{item.title}》。")]
        award = award_points(session=ctx.session, member_id=ctx.member.id, amount=points, reason="study",
                             source=f"{item.id}:{ctx.member.id}", now=ctx.now, category=Category.STUDY,
                             cap=self._rules.cap(Category.STUDY), note=f"《{item.title}》")
        note = cap_note(award, self._rules, Category.STUDY)
        done = f"✅ {ctx.member.name} 已学习《{item.title}》{gained_text(award)}。"
        return [ctx.reply(f"{done}\n{note}" if note else done)]
