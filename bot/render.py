"""How contest messages read in chat. Plain text: every platform shows it."""

from __future__ import annotations

from quizzes.contest import Contest, Reveal
from quizzes.model import LETTERS, Question, QuestionType

__all__ = ["explanation_lines", "verdict_lines", "format_hint", "question_text", "reveal_text", "results_text",
           "answer_hint", "MEDALS"]

MEDALS = ("🥇", "🥈", "🥉")
# A group message has to fit the platforms' limits (2,048 bytes for a WeCom text): long lists are cut here.
NAMES_SHOWN = 30
REASONS_SHOWN = 5


def explanation_lines(question: Question) -> list[str]:
    """解析, then 出处 right under it: each only when the bank gives it (a member's own bank often has neither)."""
    lines = [f"解析：{question.explanation}"] if question.explanation else []
    return lines + ([f"出处：{question.source}"] if question.source else [])


def answer_hint(question: Question) -> str:
    if question.type is QuestionType.SINGLE:
        return "请回复选项字母，如 A"
    if question.type is QuestionType.MULTIPLE:
        return "请回复全部正确选项，如 AC"
    if question.type is QuestionType.JUDGE:
        return "请回复「对」或「错」"
    return "请直接回复答案"


def format_hint(question: Question) -> str:
    """What a valid answer looks like, for a member who typed something else."""
    if question.type is QuestionType.SINGLE:
        return f"单选题，请回复 A–{LETTERS[len(question.options) - 1]} 中的一个字母。"
    if question.type is QuestionType.MULTIPLE:
        return f"多选题，请回复 A–{LETTERS[len(question.options) - 1]} 中的全部正确选项，如 AC。"
    if question.type is QuestionType.JUDGE:
        return "判断题，请回复「对」或「错」。"
    return "填空题，请直接回复答案。"


def question_text(question: Question, number: int, total: int, time_limit: int, title: str = "知识竞赛") -> str:
    lines = [f"📝 {title} 第 {number}/{total} 题（{question.label}，限时 {time_limit} 秒）", question.text]
    lines += [f"{LETTERS[i]}. {option}" for i, option in enumerate(question.options)]
    lines.append(answer_hint(question))
    return "\n".join(lines)


def reveal_text(reveal: Reveal) -> str:
    question = reveal.question
    lines = [f"⏰ 第 {reveal.number} 题答案：{question.answer_display()}", *explanation_lines(question)]
    right = reveal.correct
    if right:
        names = "、".join(f"{a.name}（+{a.points}）" for a in right[:NAMES_SHOWN])
        more = f" 等 {len(right)} 人" if len(right) > NAMES_SHOWN else ""
        lines.append(f"答对 {len(right)} 人：{names}{more}")
    elif reveal.answers:
        lines.append(f"本题 {len(reveal.answers)} 人作答，无人答对。")
    else:
        lines.append("本题无人作答。")
    if question.type is QuestionType.BLANK:  # a typed answer: say why it was not accepted
        wrong = [a for a in reveal.answers if not a.correct and a.reason][:REASONS_SHOWN]
        lines += [f"· {a.name}「{a.answer[:20]}」：{a.reason}" for a in wrong]
    return "\n".join(lines)


def results_text(contest: Contest, ended_early: bool = False, scored: bool = True,
                 counted: str = "") -> str:
    """The podium and the scores; `counted`: how the contest counts toward 党建积分 (not a 练习赛's)."""
    standings = contest.standings()
    total = len(contest.questions)
    if ended_early:
        lines = [f"🛑 竞赛已提前结束（{contest.bank}，共 {total} 题，进行到第 {contest.number} 题）"]
    else:
        lines = [f"🏆 竞赛结束（{contest.bank}，共 {total} 题）"]
    if not standings:
        lines.append("本场无人作答。")
        return "\n".join(lines)
    for standing in standings:  # everyone ranked 1 to 3, ties included
        if standing.rank > 3 or standing.points <= 0:
            break
        lines.append(f"{MEDALS[standing.rank - 1]} {standing.name} {standing.points} 分")
    lines.append("全部成绩：" if len(standings) <= NAMES_SHOWN else f"前 {NAMES_SHOWN} 名成绩：")
    lines += [f"{s.rank}. {s.name} {s.points} 分（答对 {contest.correct_counts.get(s.member_id, 0)} 题）"
              for s in standings[:NAMES_SHOWN]]
    if len(standings) > NAMES_SHOWN:
        lines.append(f"共 {len(standings)} 人参赛，其余成绩不逐一列出。")
    counted = counted or "积分已计入党建积分，发送「排行榜」查看。"
    lines.append(counted if scored else "本场为练习赛，成绩不计入党建积分。")
    return "\n".join(lines)


def verdict_lines(name: str, question: Question, correct: bool, reason: str, points: int) -> list[str]:
    """How a private question (每日一题, 错题练习) answers back: right or wrong, why, the 解析 and the 出处."""
    if correct:
        lines = [f"✅ {name} 答对了！" + (f"+{points} 积分" if points else "")]
    else:
        why = f"（{reason}）" if reason and not reason.startswith("正确答案") else ""
        lines = [f"❌ {name} 答错了{why}。正确答案：{question.answer_display()}"]
    return lines + explanation_lines(question)
