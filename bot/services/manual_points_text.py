"""The words of points by hand (加分, 扣分, 同意 …): reading what a 支委 wrote, and what the replies, the listings
and the member's note say. The chat names messages to send (「同意 3」), the command line its commands."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.services.numbers import parse_number
from bot.storage.models_points import REQUEST_STATUSES, PointsRequest
from bot.storage.requests import RequestRow
from quizzes.grading.numerals import chinese_number
from scheduler.points import CATEGORY_LABELS, MANUAL_CATEGORIES, Category, PointsRules, parse_category

__all__ = ["Wording", "CHAT_WORDING", "CLI_WORDING", "Entry", "read_entry", "read_amount", "entry_usage",
           "MANUAL_WORDS", "what", "request_line", "member_note", "MAX_REASON"]

MANUAL_WORDS = "、".join(CATEGORY_LABELS[c] for c in MANUAL_CATEGORIES)  # 志愿服务、先锋作用、学习、组织生活
MAX_REASON = 200  # the ledger's note holds this much
_HEAD = re.compile(r"^(?P<word>[^：:，,\s]{1,6})[：:，,](?P<rest>.*)$")  # 「组织生活：无故缺席」


@dataclass(frozen=True)
class Wording:
    """How a reply names the next step: a message to send in chat, a command on the command line."""
    approve: str  # with {id}
    reject: str
    withdraw: str
    listing: str  # where the pending requests are listed
    add: str  # how an entry is written: with {word} (加分 or 扣分) and {example}


CHAT_WORDING = Wording(
    approve="发送「同意 {id}」", reject="发送「不同意 {id} 理由」", withdraw="发送「撤回 {id}」",
    listing="可发送「待审积分」查看",
    add="{word} {example}")
CLI_WORDING = Wording(
    approve="运行 studybot points approve {id} --by 姓名（或在群里发送「同意 {id}」）",
    reject="运行 studybot points reject {id} --by 姓名", withdraw="在群里发送「撤回 {id}」",
    listing="可用 studybot points list --pending 查看", add="studybot points {command} {example} --by 支委姓名")

_EXAMPLES = {False: "王五 5 志愿服务 参加社区义务植树", True: "王五 2 组织生活 无故缺席支部党员大会"}


def entry_usage(deduct: bool, rules: PointsRules, wording: Wording) -> str:
    word = "扣分" if deduct else "加分"
    example = wording.add.format(word=word, command="deduct" if deduct else "award", example=_EXAMPLES[deduct])
    kinds = ("类别可不写，写了记入事由；扣分计入「扣分」类" if deduct else f"类别：{MANUAL_WORDS}")
    return (f"格式：{word} 姓名 分值 {'[类别] ' if deduct else '类别 '}事由，例如：{example}\n"
            f"{kinds}；分值 1–{rules.manual_max} 分；事由必须写明。")


@dataclass(frozen=True)
class Entry:
    """What a 支委 wrote after 加分 or 扣分: (name, points as written, category, 事由); `problem` when unusable."""
    name: str = ""
    amount: str = ""
    category: Category | None = None
    reason: str = ""
    problem: str = ""


def read_entry(words: list[str], *, deduct: bool, rules: PointsRules, wording: Wording) -> Entry:
    """姓名 分值 类别 事由 (加分) or 姓名 分值 [类别] 事由 (扣分: a category is kept in the 事由, 「组织生活：…」)."""
    usage = entry_usage(deduct, rules, wording)
    if len(words) < 2:
        return Entry(problem=usage)
    name, amount, rest = words[0].lstrip("@＠"), words[1], words[2:]
    head, tail = _category_head(rest)
    if deduct:
        reason = " ".join(tail)
        if head is not None and head is not Category.PENALTY:
            reason = f"{CATEGORY_LABELS[head]}：{reason}" if reason else ""
        if not reason:
            return Entry(problem=f"请写明扣分事由。\n{usage}")
        return Entry(name, amount, Category.PENALTY, reason)
    if not rest:
        return Entry(problem=f"请写明类别和事由。\n{usage}")
    if head is None or head not in MANUAL_CATEGORIES:
        given = rest[0] if head is None else CATEGORY_LABELS[head]
        why = ("不是加分类别，扣分请发送「扣分 …」" if head is Category.PENALTY else
               "由机器人按规则自动计分，不能手工加分" if head is not None else "不是可以手工加分的类别")
        return Entry(problem=f"「{given[:10]}」{why}。加分类别应为：{MANUAL_WORDS}。\n{usage}")
    if not tail:
        return Entry(problem=f"请写明加分事由。\n{usage}")
    return Entry(name, amount, head, " ".join(tail))


def _category_head(rest: list[str]) -> tuple[Category | None, list[str]]:
    """The category the words start with (「志愿服务」 or 「志愿服务：参加…」) and the words after it."""
    if not rest:
        return None, []
    category = parse_category(rest[0])
    if category is not None:
        return category, rest[1:]
    found = _HEAD.match(rest[0])
    if found and (category := parse_category(found["word"])) is not None:
        return category, ([found["rest"]] if found["rest"] else []) + rest[1:]
    return None, rest


def read_amount(text: str, rules: PointsRules, deduct: bool) -> int | str:
    """The points written (5, ５, 五, 5分), or why they are not usable."""
    word = "扣" if deduct else "加"
    written = text.strip().removesuffix("分").strip()
    value = parse_number(written)
    if value is None and written and len(written) <= 4:
        value = chinese_number(written)
    if value is None or value == 0:
        sign = "；扣分请发送「扣分 …」" if written.startswith(("-", "－")) and not deduct else ""
        return f"分值应为 1 到 {rules.manual_max} 之间的整数（如 5 或 五），「{text[:10]}」不是{sign}。"
    if value > rules.manual_max:
        return (f"一次最多{word} {rules.manual_max} 分（points.manual_max），「{text[:10]}」超出了；"
                "确需更多请分几条写明事由。")
    return value


def what(request: PointsRequest, member: str) -> str:
    """王五 志愿服务 加 5 分 / 王五 扣 2 分."""
    if request.amount < 0:
        return f"{member} 扣 {-request.amount} 分"
    return f"{member} {CATEGORY_LABELS[Category(request.category)]} 加 {request.amount} 分"


def request_line(row: RequestRow, *, with_branch: bool = False, with_status: bool = False) -> str:
    request = row.request
    where = f"{row.branch} " if with_branch and row.branch else ""
    status = f"【{REQUEST_STATUSES.get(request.status, request.status)}】" if with_status else ""
    return (f"[{request.id}] {status}{where}{what(request, row.member)}，事由：{request.reason}"
            f"（{row.requested_by} {request.requested_at:%m月%d日 %H:%M} 提出）")


def member_note(request: PointsRequest, *, paid: int, branch: str, withheld: int = 0, undone: int = 0,
                why: str = "") -> str:
    """What the member concerned is told privately: an entry by hand counted for them, or one was reversed."""
    kind = "扣分" if request.amount < 0 else f"{CATEGORY_LABELS[Category(request.category)]}加分"
    if undone:
        change = f"扣回 {undone} 分" if undone > 0 else f"退还 {-undone} 分"
        return (f"📌 党建积分变更：{branch}撤销了编号 {request.id} 的{kind}（事由：{request.reason}），"
                f"{change}。撤销事由：{why}。发送「我的积分」查看。")
    points = f"扣 {-paid} 分" if paid < 0 else f"记{kind} {paid} 分"
    if withheld:
        points += f"（另有 {withheld} 分超出积分上限，未计入）"
    return (f"📌 党建积分记录：{branch}为您{points}（编号 {request.id}），事由：{request.reason}。"
            "发送「我的积分」查看。")
