"""What members see of their 党建积分 in chat: 我的积分 by category with the caps, 积分明细 with reasons, rankings by
category, and the words each of them refuses."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.storage.models_points import PointsRequest
from bot.storage.points import award_points
from scheduler.points import Category
from tests.helpers import T0, private_msg, texts
from tests.test_bot import member_id, say


def whisper(app: App, name: str, words: str) -> list[str]:
    return texts(app.handle(private_msg(name, words, at=app.clock.now())))


def give(app: App, name: str, amount: int, reason: str, source: str, note: str = "", days: int = 0,
         category: Category | None = None) -> None:
    with app.db.session() as session:
        assert award_points(session=session, member_id=member_id(app, name), amount=amount, reason=reason,
                            source=source, now=T0 + timedelta(days=days), note=note, category=category)
        session.commit()


def test_my_points_shows_each_category_with_its_caps(app: App) -> None:
    say(app, "张三", "大家好")
    give(app, "张三", 2, "study", "a:1", "《三会一课制度要点》")
    give(app, "张三", 5, "meeting", "1:1", "支部党员大会（3月2日 14:30）")
    give(app, "张三", 3, "daily", "d:1")
    give(app, "张三", 4, "daily", "d:old", days=-40)  # January: counted in 本年 and 总, not 本月
    [mine] = say(app, "张三", "我的积分")
    assert mine.splitlines() == [
        "📊 张三 的党建积分（本月）", "合计 10 分，第 1 名",
        "· 学习 2 分（今日 2/4；本月 2/40）", "· 答题 3 分（今日 3/5；本月 3/60）", "· 组织生活 5 分",
        "· 志愿服务 0 分（本月 0/20）", "· 先锋作用 0 分（本月 0/20）",
        "本周 10 分；本季度 14 分；本年 14 分；总 14 分", "发送「积分明细」查看本月每一笔积分及事由。"]
    [year] = say(app, "张三", "我的积分 本年")
    assert year.splitlines()[:2] == ["📊 张三 的党建积分（本年）", "合计 14 分，第 1 名"]
    assert "· 答题 7 分（今日 3/5；本月 3/60）" in year
    assert say(app, "张三", "我的积分 答题") == ["可选：本周、本月、本季度、本年、总，例如：我的积分 本年"]


def test_the_ledger_lists_each_entry_with_its_reason_and_who_gave_it(app: App) -> None:
    for name in ("张三", "李四", "王五"):
        say(app, name, "大家好")
    give(app, "张三", 2, "study", "a:1", "《三会一课制度要点》")
    give(app, "张三", 5, "meeting", "1:1", "支部党员大会（3月2日 14:30）")
    with app.db.session() as session:  # a 加分 recorded by 李四 and agreed by 王五 (issue 16's points by hand)
        request = PointsRequest(member_id=member_id(app, "张三"), amount=5, category="service", reason="社区志愿服务",
                                requested_by=member_id(app, "李四"), requested_at=T0, status="approved",
                                decided_by=member_id(app, "王五"), decided_at=T0)
        session.add(request)
        session.commit()
        number = request.id
    give(app, "张三", 5, "manual", f"request:{number}", "社区志愿服务", category=Category.SERVICE)
    give(app, "张三", 1, "daily", "d:old", days=-40)  # last month: not in 本月
    # 扣分 and their reasons are not for the whole group
    assert say(app, "张三", "积分明细") == ["张三，查看积分明细请私聊我发送「积分明细」。"]
    [ledger] = whisper(app, "张三", "积分明细")
    assert ledger.splitlines() == [
        "🧾 张三 的积分明细（本月）：共 3 项，合计 12 分",
        "03-02 志愿服务 +5 分 社区志愿服务（李四记录，王五同意）",
        "03-02 组织生活 +5 分 出席支部党员大会（3月2日 14:30）",
        "03-02 学习 +2 分 已学《三会一课制度要点》"]
    assert whisper(app, "张三", "积分明细 总")[0].splitlines()[0] == "🧾 张三 的积分明细（总）：共 4 项，合计 13 分"
    assert whisper(app, "李四", "积分明细") == [
        "🧾 李四 的积分明细（本月）\n暂无积分记录。参加三会一课、学习和答题，均计入党建积分。"]
    assert whisper(app, "张三", "积分明细 明年") == ["可选：本周、本月、本季度、本年、总，例如：积分明细 本月"]


def test_rankings_by_category(app: App) -> None:
    for name in ("张三", "李四"):
        say(app, name, "大家好")
    give(app, "张三", 5, "daily", "d:1")
    give(app, "李四", 5, "meeting", "1:2", "支部党员大会")
    [answers] = say(app, "张三", "排行榜 本月 答题")
    assert answers.splitlines() == ["🏅 党建积分排行榜（本月，答题）", "🥇 张三（第一党支部）5 分"]
    [meetings] = say(app, "张三", "排行榜 组织生活 本月")  # either order
    assert meetings.splitlines() == ["🏅 党建积分排行榜（本月，组织生活）", "🥇 李四（第一党支部）5 分"]
    [all_of_them] = say(app, "张三", "排行榜 本月")
    assert all_of_them.splitlines()[1:] == ["🥇 张三（第一党支部）5 分", "🥇 李四（第一党支部）5 分"]
    [branches] = say(app, "张三", "支部排行 本月 组织生活")
    assert branches.splitlines()[0] == "🚩 支部排行（本月，组织生活，按人均积分）"
    assert say(app, "张三", "排行榜 本月 扣分") == ["扣分不做排行。发送「积分明细」可查看自己的扣分记录及事由。"]
    assert say(app, "张三", "排行榜 上个月") == [
        "不认识「上个月」。可选：本周、本月、本季度、本年、总；类别可选：学习、答题、组织生活、志愿服务、先锋作用，"
        "例如：排行榜 本月 答题"]
