"""How a contest reads in chat: the question (with its answer buttons), the reveal, the bank lists.
The wording of questions, reveals and results is bot/render.py's, shared with 每日一题 and 错题练习."""

from __future__ import annotations

from bot import render
from bot.messages import Chat, Outgoing, Priority
from bot.services.catalog import Catalog
from bot.services.contests.running import RunningContest
from quizzes.contest import Contest, Reveal
from quizzes.model import QuestionType
from scheduler.points import Category, PointsRules

__all__ = ["question_message", "closing", "intro_text", "bank_list_text", "unknown_bank_text", "step_message",
           "counted_text",
           "progress_text", "private_note", "page_link", "page_link_line"]


def choices(contest: Contest) -> tuple[str, ...]:
    """The answer buttons of the open question, where it has any."""
    question = contest.current
    if question.options:
        return tuple("ABCDEFGH"[: len(question.options)])
    return ("对", "错") if question.type is QuestionType.JUDGE else ()


def question_message(running: RunningContest, chat: Chat | None = None, prefix: str = "") -> Outgoing:
    """The open question, to the contest's group (or to `chat`), after `prefix`."""
    contest = running.contest
    text = render.question_text(contest.current, contest.number, len(contest.questions),
                                contest.limit_for(contest.current))
    return Outgoing(chat or running.chat, prefix + text, choices=choices(contest),
                    multiple=contest.current.type is QuestionType.MULTIPLE, key=running.question_key(),
                    priority=Priority.STEP)


def counted_text(points: PointsRules) -> str:
    """How a contest counts toward 党建积分, under its results."""
    if points.contest_bonus:
        return "本场得分计入党建积分，发送「我的积分」查看。"
    daily = points.cap(Category.QUIZ).daily
    cap = f"，答题类每日最多 {daily} 分" if daily is not None else ""
    return f"本场得分只用于本场排名；党建积分每答对一题计 {points.contest_answer} 分{cap}，发送「我的积分」查看。"


def step_message(running: RunningContest, reveal: Reveal, *, ended_early: bool = False, note: str = "",
                 counted: str = "") -> Outgoing:
    """The one message a closed question costs the group: its answer and, where there is a next question,
    that question (with its buttons); after the last one, the results."""
    contest = running.contest
    text = render.reveal_text(reveal) + (f"\n{note}" if note else "")
    if contest.finished:
        results = render.results_text(contest, ended_early=ended_early, scored=running.scored, counted=counted)
        return Outgoing(running.chat, f"{text}\n\n{results}", priority=Priority.STEP, **closing(running, reveal))
    asked = question_message(running)
    return Outgoing(running.chat, f"{text}\n\n{asked.text}", choices=asked.choices, multiple=asked.multiple,
                    key=asked.key, priority=Priority.STEP, **closing(running, reveal))


def page_link(base: str, contest_id: int) -> str:
    """The live contest page of one group's contest (bot/web/h5/contest.py)."""
    return f"{base}/h5/contest/{contest_id}"


def page_link_line(base: str, contest_id: int) -> str:
    """The start message's line for members who are not in the chat (an ordinary WeChat group); "" without links."""
    return f"\n微信群成员可点击链接参加：{page_link(base, contest_id)}" if base else ""


def progress_text(number: int, answered: int, expected: int, remaining: int) -> str:
    """The one progress line a question may cost a large group, halfway through."""
    of = f"（应答 {expected} 人）" if expected else ""
    return f"⏳ 第 {number} 题已有 {answered} 人作答{of}，剩余 {remaining} 秒。"


def private_note(chat: Chat, user_id: str, text: str, about: str, answer: str = "") -> Outgoing:
    """A note only `user_id` sees (on their card where the platform has one; nowhere where it has none).
    `answer`: what their card now shows as their answer; empty for a card that takes no answer."""
    return Outgoing(chat, text, private_to=user_id, about=about, answer=answer)


def closing(running: RunningContest, reveal: Reveal) -> dict[str, str]:
    """What tells a channel which question's cards to close, and with which answer."""
    return {"closes": running.question_key(reveal.number - 1), "answer": reveal.question.answer_display()}


def intro_text(starter: str, bank: str, questions: int, time_limit: int, scored: bool = True,
               points: PointsRules | None = None) -> str:
    if not scored:
        return (f"📣 {starter} 发起了练习赛：{bank}，共 {questions} 题，每题限时 {time_limit} 秒。\n"
                "练习赛只看成绩，不计党建积分；书记、委员或管理员发起的竞赛计入积分。以第一次作答为准。")
    return (f"📣 {starter} 发起了知识竞赛：{bank}，共 {questions} 题，每题限时 {time_limit} 秒。\n"
            + _scoring_line(points or PointsRules()))


def _scoring_line(points: PointsRules) -> str:
    if points.contest_bonus:
        return "答题越快得分越高，连续答对另有加分，得分计入党建积分。以第一次作答为准。"
    return (f"答题越快本场得分越高，连续答对另有加分；党建积分每答对一题计 {points.contest_answer} 分。"
            "以第一次作答为准。")


def bank_list_text(catalog: Catalog) -> str:
    catalog.refresh()
    banks = catalog.banks()
    if not banks:
        return "还没有可用的题库，请管理员导入题库（studybot bank import）或在 banks/ 目录中添加题库文件。"
    hidden = "".join(f"\n注：已导入的题库「{name}」与题库文件同名，暂时用不了，请管理员处理。"
                     for name in catalog.hidden)
    return "可用的题库：\n" + "\n".join(
        f"· {b.name}（{len(b.questions)} 题）{('：' + b.description) if b.description else ''}" for b in banks) + hidden


def unknown_bank_text(catalog: Catalog, name: str | None) -> str:
    banks = catalog.banks()
    if not banks:
        return bank_list_text(catalog)
    broken = (f"\n另有 {catalog.broken_files} 个题库文件有误未能加载，请管理员查看启动时的提示。"
              if catalog.broken_files else "")
    return f"没有找到题库「{name}」。{bank_list_text(catalog)}\n例如：开始竞赛 {banks[0].name} 5{broken}"
