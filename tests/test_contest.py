"""The contest state machine, driven with plain datetimes and seeded random generators."""

import random
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from quizzes.contest import Contest, Outcome, Standing, draw_questions
from quizzes.model import Bank, Question, QuestionType
from quizzes.scoring import ScoringRules

T0 = datetime(2024, 7, 1, 9, 0, 0)
RULES = ScoringRules()
OPTIONS = ("甲", "乙", "丙", "丁")

Q_SINGLE = Question(QuestionType.SINGLE, "预备党员的预备期为（）。", "B", ("半年", "一年", "两年", "三年"))
Q_JUDGE = Question(QuestionType.JUDGE, "党员的党龄从入党宣誓之日算起。", "错")
Q_BLANK = Question.blank("中共一大在浙江嘉兴（）的游船上闭幕。", [["南湖", "嘉兴南湖"]])
Q_MULTI = Question(QuestionType.MULTIPLE, "“三会”包括（）。", "ABC", ("党员大会", "支委会", "党小组会", "民主生活会"),
                   time_limit=60)
QUESTIONS = (Q_SINGLE, Q_JUDGE, Q_BLANK, Q_MULTI)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def new_contest(questions=QUESTIONS, limit=30) -> Contest:
    return Contest("group-1", "党建基础知识", questions, limit, started_by=1, question_started_at=T0)


def numbered_bank(n: int) -> Bank:
    return Bank("测试题库", tuple(Question(QuestionType.SINGLE, f"第{i}题", "A", OPTIONS) for i in range(n)))


# ----- drawing questions -----

def test_draw_gives_distinct_questions_from_the_bank():
    bank = numbered_bank(20)
    drawn = draw_questions(bank, 10, random.Random(7))
    assert len(drawn) == 10
    assert len({q.key for q in drawn}) == 10
    assert set(drawn) <= set(bank.questions)


def test_draw_fewer_when_the_bank_is_small():
    bank = numbered_bank(3)
    drawn = draw_questions(bank, 10, random.Random(1))
    assert sorted(q.text for q in drawn) == ["第0题", "第1题", "第2题"]


def test_draw_is_reproducible_with_the_same_seed_and_varies_with_another():
    bank = numbered_bank(30)
    assert draw_questions(bank, 5, random.Random(42)) == draw_questions(bank, 5, random.Random(42))
    orders = {tuple(q.text for q in draw_questions(bank, 5, random.Random(seed))) for seed in range(5)}
    assert len(orders) > 1


# ----- answering -----

def test_first_answer_counts_and_a_second_one_is_refused_with_the_first_record():
    contest = new_contest()
    first = contest.submit(7, "张三", "A", at(1), RULES)
    assert first.outcome is Outcome.ACCEPTED
    assert (first.record.answer, first.record.correct, first.record.points) == ("A", False, 0)
    assert first.record.reason == "正确答案是 B"

    again = contest.submit(7, "张三", "B", at(2), RULES)
    assert again.outcome is Outcome.ALREADY_ANSWERED
    assert again.record == first.record
    assert contest.answers == {7: first.record}
    assert contest.totals == {7: 0}


def test_correct_answer_is_scored_by_speed():
    contest = new_contest()
    fast = contest.submit(1, "张三", "b", at(2), RULES).record
    slow = contest.submit(2, "李四", "答案：B", at(30), RULES).record
    assert (fast.correct, fast.points) == (True, 10)
    assert (slow.correct, slow.points) == (True, 5)
    assert contest.totals == {1: 10, 2: 5}
    assert contest.names == {1: "张三", 2: "李四"}


def test_chatter_is_not_an_answer_and_does_not_use_up_the_turn():
    contest = new_contest()
    assert contest.submit(1, "张三", "这题好难", at(1), RULES).outcome is Outcome.NOT_AN_ANSWER
    assert contest.submit(1, "张三", "AB", at(2), RULES).outcome is Outcome.NOT_AN_ANSWER  # single choice
    assert contest.answers == {}
    assert contest.submit(1, "张三", "B", at(3), RULES).outcome is Outcome.ACCEPTED


def test_answers_after_the_deadline_are_closed():
    contest = new_contest()
    assert contest.deadline == at(30)
    assert contest.submit(1, "张三", "B", at(30), RULES).outcome is Outcome.ACCEPTED  # on the deadline
    late = contest.submit(2, "李四", "B", at(30.5), RULES)
    assert late.outcome is Outcome.CLOSED and late.record is None
    assert 2 not in contest.totals


def test_question_time_limit_overrides_the_contest_limit():
    contest = new_contest(questions=(Q_MULTI,))
    assert contest.deadline == at(60)
    assert contest.submit(1, "张三", "A、B、C", at(45), RULES).outcome is Outcome.ACCEPTED


# ----- closing questions -----

def test_close_reveals_who_was_right_in_answer_order_and_moves_on():
    contest = new_contest()
    contest.submit(3, "王五", "B", at(8), RULES)
    contest.submit(1, "张三", "C", at(2), RULES)
    contest.submit(2, "李四", "b", at(5), RULES)

    reveal = contest.close_question(at(30))
    assert reveal.number == 1
    assert reveal.question == Q_SINGLE
    # submitted out of time order on purpose: the reveal is ordered by answer time
    assert [a.name for a in reveal.answers] == ["张三", "李四", "王五"]
    assert [a.name for a in reveal.correct] == ["李四", "王五"]

    assert contest.number == 2 and contest.current == Q_JUDGE
    assert contest.answers == {}
    assert contest.question_started_at == at(30)
    assert contest.deadline == at(60)
    assert not contest.finished
    # members may answer the new question
    assert contest.submit(1, "张三", "错", at(31), RULES).outcome is Outcome.ACCEPTED


def test_closing_the_last_question_finishes_the_contest():
    contest = new_contest(questions=(Q_SINGLE, Q_JUDGE))
    contest.close_question(at(30))
    assert contest.is_last and not contest.finished
    reveal = contest.close_question(at(40))
    assert reveal.number == 2
    assert contest.finished
    assert contest.submit(1, "张三", "对", at(41), RULES).outcome is Outcome.CLOSED


def test_finish_early_closes_answering():
    contest = new_contest()
    contest.finish()
    assert contest.submit(1, "张三", "B", at(1), RULES).outcome is Outcome.CLOSED


# ----- standings and streaks -----

def test_standings_share_ranks_on_ties():
    contest = new_contest()
    contest.submit(1, "张三", "B", at(1), RULES)  # 10
    contest.submit(2, "李四", "B", at(2), RULES)  # 10
    contest.submit(3, "王五", "B", at(30), RULES)  # 5
    contest.submit(4, "赵六", "A", at(3), RULES)  # 0
    table = contest.standings()
    assert [(s.rank, s.points) for s in table] == [(1, 10), (1, 10), (3, 5), (4, 0)]
    assert {s.name for s in table[:2]} == {"张三", "李四"}
    assert table[2] == Standing(3, 3, "王五", 5)


def test_standings_with_three_way_tie_then_one_below():
    contest = new_contest()
    for member in (1, 2, 3):
        contest.submit(member, f"成员{member}", "B", at(1), RULES)
    contest.submit(4, "成员4", "C", at(1), RULES)
    assert [s.rank for s in contest.standings()] == [1, 1, 1, 4]


def test_streak_bonus_builds_and_resets_on_a_wrong_or_missed_question():
    questions = tuple(Question(QuestionType.JUDGE, f"判断{i}", "对") for i in range(6))
    contest = new_contest(questions=questions)
    plan = {  # member 1: right, right, right, wrong, right, right; member 2: right, (missed), right ...
        1: ["对", "对", "对", "错", "对", "对"],
        2: ["对", None, "对", "对", "对", "对"],
    }
    earned = {1: [], 2: []}
    for index in range(6):
        start = index * 30
        for member, answers in plan.items():
            if answers[index] is not None:
                earned[member].append(contest.submit(member, f"成员{member}", answers[index], at(start + 1), RULES)
                                      .record.points)
        contest.close_question(at(start + 30))
        if index == 2:
            assert contest.streaks == {1: 3, 2: 1}
    assert earned[1] == [10, 12, 14, 0, 10, 12]
    assert earned[2] == [10, 10, 12, 14, 16]
    assert contest.streaks == {1: 2, 2: 4}
    assert contest.finished


# ----- restoring after a restart -----

TEXTS = ["A", "B", "ac", "A、B、C", "对", "错", "南湖", "嘉兴南湖", "上海", "哈哈", "B B"]


def _play(contest, questions_events, stop_index):
    """Drive `contest` through closed questions and into question `stop_index`; return stored history."""
    history = []
    for index in range(stop_index + 1):
        start = contest.question_started_at
        ordered = sorted(questions_events[index], key=lambda e: e[2])
        for n, (member, text, offset) in enumerate(ordered):
            # distinct instants (1 µs apart at least); equal instants are covered by a test below
            when = start + timedelta(seconds=round(offset, 3), microseconds=n)
            result = contest.submit(member, f"成员{member}", text, when, RULES_NEGATIVE)
            if result.outcome is Outcome.ACCEPTED:
                history.append((contest.index, result.record))
        if index < stop_index:
            contest.close_question(contest.deadline)
    return history


RULES_NEGATIVE = ScoringRules(wrong_points=-2)

event = st.tuples(st.integers(min_value=1, max_value=5), st.sampled_from(TEXTS),
                  st.floats(min_value=0, max_value=70, allow_nan=False))


@settings(max_examples=150, deadline=None)
@given(events=st.lists(st.lists(event, max_size=8), min_size=4, max_size=4),
       stop_index=st.integers(min_value=0, max_value=3), shuffle_seed=st.integers(0, 2**32))
def test_restore_from_history_rebuilds_the_live_contest(events, stop_index, shuffle_seed):
    live = new_contest()
    history = _play(live, events, stop_index)
    stored = list(history)
    random.Random(shuffle_seed).shuffle(stored)  # the store may return answers in any order

    restored = Contest.restore(group_key=live.group_key, bank=live.bank, questions=live.questions,
                               time_limit=live.time_limit, started_by=live.started_by, index=live.index,
                               question_started_at=live.question_started_at, finished=False, history=stored)

    assert restored.index == live.index
    assert restored.deadline == live.deadline
    assert restored.totals == live.totals
    assert restored.names == live.names
    assert restored.streaks == live.streaks
    assert restored.answers == live.answers
    assert restored.standings() == live.standings()

    # and both carry on identically: a repeat answer is refused, a new one scores the same
    for member in range(1, 7):
        text = "B" if member % 2 else "对"
        now = live.question_started_at + timedelta(seconds=member)
        assert restored.submit(member, f"成员{member}", text, now, RULES_NEGATIVE) == \
            live.submit(member, f"成员{member}", text, now, RULES_NEGATIVE)
    assert restored.close_question(live.deadline) == live.close_question(live.deadline)
    assert restored.streaks == live.streaks
    assert restored.totals == live.totals


def test_restore_at_the_first_question_with_no_history():
    restored = Contest.restore(group_key="g", bank="b", questions=QUESTIONS, time_limit=30, started_by=1, index=0,
                               question_started_at=T0, finished=False, history=[])
    assert (restored.number, restored.totals, restored.streaks, restored.answers) == (1, {}, {}, {})
    assert restored.submit(1, "张三", "B", at(1), RULES).outcome is Outcome.ACCEPTED


def test_restore_keeps_answer_order_for_answers_at_the_same_instant():
    live = new_contest()
    history = []
    for member, name in ((9, "王五"), (2, "李四"), (5, "张三")):  # answer order: 王五, 李四, 张三
        history.append((0, live.submit(member, name, "B", at(4), RULES).record))
    stored = history  # the store hands answers back in the order they were saved (ORDER BY id)
    restored = Contest.restore(group_key=live.group_key, bank=live.bank, questions=live.questions,
                               time_limit=live.time_limit, started_by=live.started_by, index=0,
                               question_started_at=T0, finished=False, history=stored)
    assert [a.name for a in restored.close_question(at(30)).answers] == ["王五", "李四", "张三"]
    assert [a.name for a in live.close_question(at(30)).answers] == ["王五", "李四", "张三"]
