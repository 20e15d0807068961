"""Due-time callbacks fired against a simulated clock."""

from datetime import datetime, timedelta

from bot.timers import Timers

T0 = datetime(2024, 7, 1, 9, 0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def recorder(fired, key):
    return lambda due: fired.append((key, due))


def run_until(timers: Timers, now: datetime) -> None:
    while timers.fire_next(now):
        pass


def test_timers_fire_in_due_order_not_schedule_order():
    timers, fired = Timers(), []
    timers.schedule("c", at(30), recorder(fired, "c"))
    timers.schedule("a", at(10), recorder(fired, "a"))
    timers.schedule("b", at(20), recorder(fired, "b"))
    assert timers.next_due() == at(10)
    run_until(timers, at(60))
    assert fired == [("a", at(10)), ("b", at(20)), ("c", at(30))]
    assert len(timers) == 0 and timers.next_due() is None


def test_only_due_timers_fire_and_receive_their_due_time():
    timers, fired = Timers(), []
    timers.schedule("a", at(10), recorder(fired, "a"))
    timers.schedule("b", at(20), recorder(fired, "b"))
    assert not timers.fire_next(at(9))
    assert timers.fire_next(at(15))
    assert not timers.fire_next(at(15))
    assert fired == [("a", at(10))]  # the callback gets the due time, not the late "now"
    assert timers.fire_next(at(20))  # due exactly now
    assert fired[-1] == ("b", at(20))


def test_timers_due_at_the_same_time_fire_in_schedule_order():
    timers, fired = Timers(), []
    for key in ("x", "y", "z"):
        timers.schedule(key, at(5), recorder(fired, key))
    run_until(timers, at(5))
    assert [key for key, _ in fired] == ["x", "y", "z"]


def test_scheduling_the_same_key_replaces_the_timer():
    timers, fired = Timers(), []
    timers.schedule("contest:1", at(10), recorder(fired, "old"))
    timers.schedule("contest:1", at(40), recorder(fired, "new"))
    assert len(timers) == 1
    assert timers.next_due() == at(40)
    run_until(timers, at(30))
    assert fired == []
    run_until(timers, at(40))
    assert fired == [("new", at(40))]


def test_replacing_with_an_earlier_time():
    timers, fired = Timers(), []
    timers.schedule("k", at(40), recorder(fired, "late"))
    timers.schedule("k", at(10), recorder(fired, "early"))
    run_until(timers, at(100))
    assert fired == [("early", at(10))]


def test_cancel_removes_the_timer_and_unknown_keys_are_ignored():
    timers, fired = Timers(), []
    timers.schedule("a", at(10), recorder(fired, "a"))
    timers.schedule("b", at(20), recorder(fired, "b"))
    timers.cancel("a")
    timers.cancel("never-scheduled")
    assert len(timers) == 1
    assert timers.next_due() == at(20)
    run_until(timers, at(100))
    assert fired == [("b", at(20))]


def test_cancelled_key_can_be_scheduled_again():
    timers, fired = Timers(), []
    timers.schedule("a", at(10), recorder(fired, "first"))
    timers.cancel("a")
    timers.schedule("a", at(30), recorder(fired, "second"))
    run_until(timers, at(100))
    assert fired == [("second", at(30))]


def test_a_callback_may_rearm_its_own_key():
    timers, fired = Timers(), []

    def question_deadline(due):
        fired.append(due)
        if len(fired) < 3:
            timers.schedule("contest:1", due + timedelta(seconds=30), question_deadline)

    timers.schedule("contest:1", at(30), question_deadline)
    run_until(timers, at(1000))
    assert fired == [at(30), at(60), at(90)]
    assert len(timers) == 0
