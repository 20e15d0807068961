"""What a contest leaves in the database beyond its own rows: a closed question's points, statistics and
mistakes; and the contests rebuilt from the database after a restart."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.messages import Chat, Outgoing
from bot.services.catalog import Catalog
from bot.services.contests.running import RunningContest
from bot.storage.banks import count_question
from bot.storage.branches import group_by_id
from bot.storage.contests import award_question, contest_history, contest_members, mark_settled, save_progress
from bot.storage.mistakes import record_mistakes
from bot.storage.models import ContestRow
from bot.storage.points import Reached
from quizzes.contest import AnswerRecord, Contest, Reveal
from scheduler.points import Category, PointsRules

__all__ = ["settle", "award_answers", "count_answers", "restore", "settle_stored", "expire", "STALE_AFTER"]

log = logging.getLogger(__name__)

# A contest found running at start whose open question's deadline passed more than this long ago was left behind
# (the bot stopped mid-contest, hours or days ago): it ends with a notice rather than going on with nobody there.
# Within it (a restart, a short outage) the contest goes on: the late question closes at once and the next one opens.
STALE_AFTER = timedelta(minutes=10)


def pay(points: PointsRules, records: list[AnswerRecord]) -> list[tuple[int, int]]:
    """(member, 党建积分) of a question's answers: by default its correct answers' base points; the speed and
    streak score only orders the contest's own podium (points.contest_bonus makes it count)."""
    return [(r.member_id, points.contest_points(correct=r.correct, score=r.points)) for r in records]


def settle(session: Session, running: RunningContest, reveal: Reveal, now: datetime,
           points: PointsRules) -> dict[int, Reached]:
    """A question closed: its points go to the ledger (not a 练习赛's), its statistics are counted, wrong
    answers go to each member's 错题本. The members whose 答题 cap this question reached first."""
    reached = award_answers(session, running, reveal, list(reveal.answers), now, points)
    count_answers(session, running, reveal, now)
    return reached


def award_answers(session: Session, running: RunningContest, reveal: Reveal, answers: list[AnswerRecord],
                  now: datetime, points: PointsRules) -> dict[int, Reached]:
    """The points of `answers` (all of a closed question's, or a part of them) into the ledger, unless a 练习赛."""
    if not running.scored:
        return {}
    return award_question(session=session, contest_id=running.contest_id, question_index=reveal.number - 1,
                          amounts=pay(points, answers), now=now, cap=points.cap(Category.QUIZ),
                          bank=running.contest.bank)


def count_answers(session: Session, running: RunningContest, reveal: Reveal, now: datetime) -> None:
    """A closed question's statistics and its wrong answers into the 错题本: once per question."""
    question = reveal.question
    count_question(session=session, bank=running.contest.bank, question_key=question.key, asked=1,
                   answered=len(reveal.answers), correct=len(reveal.correct))
    record_mistakes(session=session, bank=running.contest.bank, question_key=question.key,
                    wrong=[(a.member_id, a.answer) for a in reveal.answers if not a.correct], at=now)


def restore(session: Session, row: ContestRow, catalog: Catalog, now: datetime,
            points: PointsRules) -> RunningContest | Outgoing:
    """The running contest `row` rebuilt in memory; or, when its questions can no longer be found (its bank
    was removed or edited while the bot was down), the contest ended and the notice for its group."""
    group = group_by_id(session=session, group_id=row.group_id)
    bank = catalog.get(row.bank)
    keys = json.loads(row.question_keys)
    questions = tuple(bank.by_key[k] for k in keys if k in bank.by_key) if bank else ()
    chat = Chat(group.channel, group.external_id, True, group.name)
    if len(questions) != len(keys):
        return _abandon(session, row, chat, now, points)
    members = contest_members(session=session, contest_id=row.id)
    names = {member_id: name for member_id, (name, _, _) in members.items()}
    contest = Contest.restore(
        group_key=str(row.group_id), bank=row.bank, questions=questions, time_limit=row.time_limit,
        started_by=row.started_by, index=row.current_index, question_started_at=row.question_started_at,
        finished=False, history=contest_history(session=session, contest_id=row.id, names=names))
    running = RunningContest(row.id, contest, chat, group.branch_id, scored=row.scored, round_id=row.round_id,
                             settled=row.settled or 0, settled_counted=row.settled is not None)
    running.expected_answered = {m for m in contest.answers
                                 if members.get(m, ("", None, False))[1:] == (group.branch_id, True)}
    log.info("resumed contest %s in group %s at question %d", row.id, group.name, contest.number)
    return running


def _abandon(session: Session, row: ContestRow, chat: Chat, now: datetime, points: PointsRules) -> Outgoing:
    """End a contest whose questions are gone; answers already given to the open question count."""
    log.warning("contest %s: bank %r changed or is missing; ending it", row.id, row.bank)
    open_answers = [record for index, record in contest_history(session=session, contest_id=row.id, names={})
                    if index == row.current_index]
    if row.scored:
        award_question(session=session, contest_id=row.id, question_index=row.current_index,
                       amounts=pay(points, open_answers), now=now, cap=points.cap(Category.QUIZ), bank=row.bank)
    row.status, row.finished_at = "finished", now
    session.add(row)
    counted = "已作答题目的积分照常计入。" if row.scored else "本场为练习赛，不计党建积分。"
    return Outgoing(chat, f"本群进行中的知识竞赛（{row.bank}）因题库已变更或被移除而结束，{counted}")


def settle_stored(session: Session, row: ContestRow, catalog: Catalog, points: PointsRules) -> int:
    """Write the points, statistics and 错题本 of `row`'s closed questions that are not written yet, from its
    stored answers (a 全委竞赛 stopped between a reveal and its points); how many questions were written."""
    assert row.id is not None and row.settled is not None
    owed = row.current_index + (1 if row.status == "finished" else 0)
    keys = json.loads(row.question_keys)
    bank = catalog.get(row.bank)
    history = contest_history(session=session, contest_id=row.id, names={})
    for index in range(row.settled, owed):
        records = [record for q, record in history if q == index]
        if row.scored:  # some may be written already: look them up (new=False)
            award_question(session=session, contest_id=row.id, question_index=index, amounts=pay(points, records),
                           now=row.question_started_at, cap=points.cap(Category.QUIZ), new=False, bank=row.bank)
        question = bank.by_key.get(keys[index]) if bank is not None and index < len(keys) else None
        if question is not None:
            count_question(session=session, bank=row.bank, question_key=question.key, asked=1,
                           answered=len(records), correct=sum(r.correct for r in records))
            record_mistakes(session=session, bank=row.bank, question_key=question.key,
                            wrong=[(r.member_id, r.answer) for r in records if not r.correct],
                            at=row.question_started_at)
    mark_settled(session=session, contest_id=row.id, settled=owed)
    log.info("contest %s: points of questions %d..%d written after a restart", row.id, row.settled + 1, owed)
    return owed - row.settled


def expire(session: Session, running: RunningContest, now: datetime, points: PointsRules) -> Outgoing:
    """End a contest left running long ago (STALE_AFTER past its open question's deadline) as 结束竞赛 would: the
    answers already given to the open question count, the questions not asked are not; the notice for its group."""
    contest = running.contest
    log.info("contest %s in %s: question %d closed at %s, long ago; ending it", running.contest_id,
             running.chat.name, contest.number, contest.deadline)
    reveal = contest.finish()
    if reveal is not None:
        settle(session, running, reveal, now, points)
    save_progress(session=session, contest_id=running.contest_id, contest=contest, now=now)
    if running.settled_counted:  # its open question's points are written now
        mark_settled(session=session, contest_id=running.contest_id, settled=contest.index + 1)
    what = "知识竞赛" if running.scored else "练习赛"
    counted = "已作答题目的积分照常计入。" if running.scored else "练习赛不计党建积分。"
    return Outgoing(running.chat, f"上次的{what}（{contest.bank}，进行到第 {contest.number}/{len(contest.questions)} "
                                  f"题）因机器人停止运行已过期，现已结束；{counted}")
