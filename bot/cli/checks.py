"""`studybot doctor`'s checks of what lives on this machine: the banks, the study library and plans, the plans'
targets, the calendar, the meeting files and the DingTalk quota. Each is ✅, ⚠️ (works, but the admin should know)
or ❌ (a problem: doctor exits 1); the problems' details are printed above the checks, one a line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import typer

from bot.app import App
from bot.cli.common import report_bank_problems
from bot.storage.branches import all_branches
from bot.storage.metered import DEGRADE_AT, WARN_AT, day_calls, month_calls
from content.library import bundled_dir
from quizzes.bank_yaml import BUNDLED_BANK_DIR

__all__ = ["Check", "local_checks"]

SHOWN = 5  # names listed in a check's line; more are counted


@dataclass(frozen=True)
class Check:
    """`warn`: it works, but the admin should know the risk (shown ⚠️, does not fail doctor)."""

    ok: bool
    what: str
    detail: str = ""
    warn: bool = False

    def __str__(self) -> str:
        icon = "❌" if not self.ok else "⚠️" if self.warn else "✅"
        return f"{icon} {self.what}" + (f"：{self.detail}" if self.detail else "")


def _names(names: list[str]) -> str:
    return "「" + "」「".join(names[:SHOWN]) + "」" + (f"等 {len(names)} 个" if len(names) > SHOWN else "")


def _told(problems: list[str]) -> str:
    """Problems printed on stderr, above the checks; the check's line counts them."""
    for problem in problems:
        typer.echo(problem, err=True)
    return f"，{len(problems)} 处问题（见上方提示）" if problems else ""


def local_checks(app: App) -> list[Check]:
    app.catalog.refresh()
    hidden = len(app.catalog.hidden)
    revision = "、".join(app.db.schema().revisions)  # the newest: ready_app upgraded it
    checks = [Check(True, "配置", "有效"), Check(True, "数据库", f"{app.db.url}，结构版本 {revision}"),
              Check(not app.bank_problems, "题库", f"{len(app.catalog.banks())} 个可用"
                    + (f"，{len(app.bank_problems)} 处问题（见上方提示）" if app.bank_problems else "")
                    + (f"，{hidden} 个已导入的题库与题库文件同名而用不到（见上方提示）" if hidden else ""),
                    warn=bool(hidden))]
    report_bank_problems(app)
    schedule = app.schedule
    items = [p for p in schedule.problems if p.startswith("学习资料")]
    plans = [p for p in schedule.problems if p.startswith("学习计划")]
    calendar = [p for p in schedule.problems if p.startswith("节假日数据")]
    others = [p for p in schedule.problems if p not in items + plans + calendar]
    checks += [Check(not items, "学习资料", f"{len(schedule.study.library)} 篇可用" + _told(items)),
               *_unreviewed(app),
               Check(not plans, "学习计划", f"{len(schedule.pushes.plans)} 项" + _told(plans)),
               *_targets(app),
               Check(True, "工作日历", "；".join(calendar) or "chinese-calendar 覆盖今明两年", warn=bool(calendar))]
    checks += [Check(True, "会议设置", other, warn=True) for other in others]
    if schedule.meeting_files:
        meetings = schedule.meeting_file_problems()
        checks.append(Check(not meetings, "会议计划（meetings.files）",
                            f"{len(schedule.meeting_files)} 个文件" + _told(meetings)))
    if app.settings.dingtalk is not None:
        checks.append(_dingtalk_quota(app, app.settings.dingtalk.quota_per_month))
    return checks


def _unreviewed(app: App) -> list[Check]:
    """A reminder, not a problem: the bundled study items and banks no Party-affairs colleague has checked against
    their sources yet (their `reviewed:` is empty)."""
    items = [item for item in app.schedule.study.library
             if not item.reviewed and item.path.is_relative_to(bundled_dir())]
    banks = [bank for bank in app.catalog.banks()
             if not bank.reviewed and bank.source and Path(bank.source).is_relative_to(BUNDLED_BANK_DIR)]
    if not items and not banks:
        return []
    parts = [f"{len(items)} 篇内置学习资料" if items else "",
             f"内置题库{_names([b.name for b in banks])}" if banks else ""]
    return [Check(True, "内容审核", "、".join(p for p in parts if p) + "尚未经党务人员审核（reviewed 为空）；"
                  "审核后在文件头部填写审核人和日期", warn=True)]


def _targets(app: App) -> list[Check]:
    """The plans' targets that no known group matches: their pushes go nowhere. A branch the bot knows (from the
    roster or `groups:`) whose group has not written yet is a warning; a name it knows nowhere is a problem."""
    pushes = app.schedule.pushes
    with app.db.session() as session:
        unmatched = sorted({name for entry in pushes.plans.values() for name in entry.targets
                            if not pushes.targets(session, [name])})
        branches = {branch.name for branch in all_branches(session=session)}
    if not unmatched:
        return []
    settings = app.settings
    configured = {*settings.groups, *settings.groups.values(),
                  *(settings.wecom.webhooks if settings.wecom else ()),
                  *(settings.dingtalk.webhooks if settings.dingtalk else ())}
    waiting = [name for name in unmatched if name in branches | configured]
    unknown = [name for name in unmatched if name not in waiting]
    checks = []
    if unknown:
        checks.append(Check(False, "学习计划的推送对象", f"不认识{_names(unknown)}：既不是已知的支部，也不是已知的群，"
                            "推送不会发出；请检查计划文件中的 to，或先导入名册（studybot members import）"))
    if waiting:
        checks.append(Check(True, "学习计划的推送对象", f"{_names(waiting)}还没有机器人认识的群，"
                            "群里有人发过消息后才能推送", warn=True))
    return checks


def _dingtalk_quota(app: App, per_month: int) -> Check:
    """The metered OpenAPI calls counted this month and today, against dingtalk.quota_per_month."""
    today = app.clock.now().date()
    with app.db.session() as session:
        month, day = month_calls(session=session, channel="dingtalk", day=today), day_calls(
            session=session, channel="dingtalk", day=today)
    share = month / per_month if per_month else 0.0
    detail = f"本月已调用 {month} 次（额度 {per_month} 次，{share:.0%}），今日 {day} 次"
    if share >= DEGRADE_AT:
        detail += "；已超过 90%：竞赛题目改为文字发送，成员卡片不再更新"
    elif share >= WARN_AT:
        detail += "；已超过 80%，已提醒管理员"
    return Check(True, "钉钉开放接口月度额度", detail, warn=share >= WARN_AT)
