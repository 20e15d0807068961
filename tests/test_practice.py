"""错题本 and 错题练习 through the whole bot."""

from __future__ import annotations

from datetime import timedelta

from helpers import TEST_BANK_NAME, enrol, group_msg, private_msg, texts


def say(app, name, words):
    return texts(app.handle(group_msg(name, words, at=app.clock.now())))


def whisper(app, name, words):
    return texts(app.handle(private_msg(name, words, at=app.clock.now())))


def wrong(question):
    if question.options:
        return next(x for x in "ABCDEFGH"[: len(question.options)] if x != question.answer)
    if question.answer in ("对", "错"):
        return "错" if question.answer == "对" else "对"
    return "不知道"


def play_and_miss(app, clock, count=2):
    """张三 answers every question of a contest wrong."""
    enrol(app, "张三")
    say(app, "张三", f"开始竞赛 {TEST_BANK_NAME} {count}")
    missed = []
    for _ in range(count):
        question = app.contests.open_question(1)
        missed.append(question)
        clock.set(clock.now() + timedelta(seconds=1))
        say(app, "张三", wrong(question))  # alone on the roster: closes the question at once
    return missed


def test_an_empty_book_says_so(app):
    assert say(app, "张三", "错题本") == ["张三，您的错题本是空的，继续保持！"]


def test_wrong_contest_answers_fill_the_book_newest_first(app, clock):
    missed = play_and_miss(app, clock)
    [book] = say(app, "张三", "错题本")
    assert book.startswith("📕 张三 的错题本（共 2 题，最近的在前）")
    assert book.index(missed[1].text) < book.index(missed[0].text)
    assert f"您的答案：{wrong(missed[1])}" in book


def test_practice_is_private_and_a_right_answer_earns_points_once(app, clock):
    missed = play_and_miss(app, clock)
    assert say(app, "张三", "错题练习") == ["张三，错题练习请私聊我发送「错题练习」。"]
    [asked] = whisper(app, "张三", "错题练习")
    assert asked.startswith("📝 错题练习") and missed[1].text in asked
    [verdict] = whisper(app, "张三", missed[1].answer)
    assert verdict.startswith("✅ 张三 答对了！+1 积分") and "错题本还有 1 题" in verdict
    [book] = say(app, "张三", "错题本")
    assert "共 1 题" in book and missed[1].text not in book

    whisper(app, "张三", "错题练习")
    [second] = whisper(app, "张三", missed[0].answer)
    assert second.startswith("✅ 张三 答对了！+1 积分") and "错题本已清空" in second
    assert whisper(app, "张三", "错题练习") == ["错题本里没有题目。可发送「每日一题」继续学习。"]


def test_a_question_missed_again_returns_to_the_book_but_earns_no_second_award(app, clock):
    [missed] = play_and_miss(app, clock, count=1)
    whisper(app, "张三", "错题练习")
    assert whisper(app, "张三", missed.answer)[0].startswith("✅ 张三 答对了！+1 积分")
    clock.set(clock.now() + timedelta(minutes=1))
    say(app, "张三", "每日一题")  # today's question may be another one; miss the contest question instead
    with app.db.session() as session:
        from bot.storage.mistakes import open_mistakes
        from bot.storage.models import PracticeAttempt
        assert open_mistakes(session=session, member_id=1) == []
        session.add(PracticeAttempt(member_id=1, bank=TEST_BANK_NAME, question_key=missed.key, asked_at=clock.now()))
        session.commit()
    [again] = whisper(app, "张三", missed.answer)
    assert again.startswith("✅ 张三 答对了！") and "积分" not in again.splitlines()[0]


def test_a_wrong_practice_answer_keeps_the_question_in_the_book(app, clock):
    missed = play_and_miss(app, clock, count=1)
    whisper(app, "张三", "错题练习")
    [verdict] = whisper(app, "张三", wrong(missed[0]))
    assert verdict.startswith("❌ 张三 答错了") and "错题本还有 1 题" in verdict
