"""The sections of studybot.yaml as typed models: each key's type, range and default, and the rules joining keys."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from bot.channels.common.send_lanes import GROUP_PER_MINUTE
from bot.settings.channels import (
    DingTalkRobotWebhook,
    DingTalkSettings,
    LinkTemplateSettings,
    ServerSettings,
    WeChatMPSettings,
    WeComAppSettings,
    WeComRobotSettings,
    WeComSettings,
)
from bot.settings.cluster import ClusterSettings
from bot.settings.h5 import H5Settings
from bot.settings.points import PointsSettings, moved_points_keys
from bot.settings.summary import SummarySettings
from bot.settings.web import WebSettings
from safeio.names import name_problem

__all__ = ["Settings", "parse_offset", "ServerSettings", "WeComSettings", "WeComRobotSettings", "WeComAppSettings",
           "WeChatMPSettings", "LinkTemplateSettings", "DingTalkSettings",
           "DingTalkRobotWebhook"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class BotSettings(_Section):
    name: str = Field(default="学习助手", min_length=1, max_length=30)


class DatabaseSettings(_Section):
    url: str = "sqlite:///data/studybot.db"
    # seconds a write waits for another writer (an import beside the running bot) before it is tried again
    busy_timeout: float = Field(default=5.0, gt=0, le=60)


class QuizSettings(_Section):
    bank_dirs: list[Path] = [Path("banks")]
    sample_bank: bool = True  # also load the bundled banks (党建基础知识, the first; 二十届三中四中全会与党纪学习教育)
    default_bank: str | None = None
    questions_per_contest: int = Field(default=5, ge=1, le=50)
    time_limit: int = Field(default=30, ge=5, le=600)
    max_questions: int = Field(default=20, ge=1, le=100)
    acknowledge_answers: bool = True  # false: never a line per answer, in any group
    # a typed answer gets a line in the group (「张三 已作答第 1 题」) only where the group's branch has at most
    # this many members; larger groups get one progress line per question instead
    acknowledge_up_to: int = Field(default=10, ge=0, le=10_000)
    # the roles whose contests earn 党建积分 (study plans and the 全委竞赛 always do); others start a 练习赛.
    # member (成员) here makes every contest scored
    scored_by: list[Literal["member", "secretary", "committee", "admin"]] = ["secretary", "committee", "admin"]


class ScoringSettings(_Section):
    base_points: int = Field(default=10, ge=1, le=1000)
    full_points_within: float = Field(default=3.0, ge=0)
    min_factor: float = Field(default=0.5, ge=0.5, le=1.0)
    streak_bonus: int = Field(default=2, ge=0)
    streak_bonus_max: int = Field(default=6, ge=0)
    wrong_points: int = Field(default=0, le=0)


class ContentSettings(_Section):
    sample_library: bool = True  # also load the bundled study items (content/library)
    dirs: list[Path] = []  # more study items: folders of Markdown files with a YAML header
    plans: list[Path] = []  # study plan files (YAML): what is pushed when, to whom


class CalendarSettings(_Section):
    holidays: list[date] = []  # extra non-working days (years chinese-calendar does not cover)
    workdays: list[date] = []  # extra working days (调休 weekends)
    shift: Literal["next_workday", "skip", "none"] = "next_workday"  # a push due on a non-working day


class MeetingSettings(_Section):
    types: dict[str, dict[str, Any]] = {}  # per type (key or name): period, required, points, aliases
    reminders: list[str] = ["3d", "1d", "1h"]  # before each meeting: 3d, 1d, 1h, 30m
    signin_before: int = Field(default=30, ge=0, le=24 * 60)  # minutes before the start 签到 opens
    signin_after: int = Field(default=120, ge=1, le=24 * 60)  # minutes after the start it closes
    overdue_notice: str = "每月第一个工作日 09:00"  # secretaries of branches behind last month are told
    warning_time: str = "09:00"  # on the first working day of a month's last warning_days days, secretaries
    warning_days: int = Field(default=7, ge=0, le=27)  # of branches still missing meetings are told (0: never)
    groups: dict[str, list[str]] = {}  # the 党委's bodies (中心组, 党委) by member name, each a pseudo-branch
    files: list[Path] = []  # meetings planned in YAML, reconciled at start and on studybot reload

    @field_validator("types")
    @classmethod
    def _types(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        from scheduler.meetings import meeting_types

        meeting_types(value)  # raises ValueError in Chinese, naming the type
        return value

    @field_validator("reminders")
    @classmethod
    def _offsets(cls, value: list[str]) -> list[str]:
        for text in value:
            parse_offset(text)
        return value


class ScheduleSettings(_Section):
    # pushes the outbox hands one group a minute (group robots: 20); the channel's lane keeps the platform's limit
    per_minute: int = Field(default=GROUP_PER_MINUTE, ge=1, le=1000)
    push_grace_minutes: int = Field(default=360, ge=1)  # a study push missed while down is still sent this late
    contest_grace_minutes: int = Field(default=10, ge=1)  # a scheduled contest starts at most this late
    notice_grace_hours: int = Field(default=72, ge=1)  # the overdue notice, at most this late
    # one item to one group at most once in this many hours: 安排推送, push add and plan entries that fire more
    # often are refused (744: once a month)
    min_push_interval_hours: int = Field(default=24, ge=1, le=744)


_OFFSET = re.compile(r"^\s*([0-9]{1,4})\s*(d|h|m|天|小时|分钟)\s*$")  # 9999 days is already no reminder


def parse_offset(text: str) -> timedelta:
    """"3d", "1h", "30m" (or 3天, 1小时, 30分钟): how long before a meeting a reminder goes."""
    match = _OFFSET.match(str(text))
    if not match:
        raise ValueError(f"提醒时间「{text}」应形如 3d、1h、30m（天、小时、分钟）")
    amount, unit = int(match[1]), match[2]
    return {"d": timedelta(days=amount), "天": timedelta(days=amount), "h": timedelta(hours=amount),
            "小时": timedelta(hours=amount)}.get(unit, timedelta(minutes=amount))


class Settings(_Section):
    """Cross-field rules are checked in `_consistent`, so a setting that would make a
    command fail later (a default larger than its maximum) is refused at start."""

    bot: BotSettings = BotSettings()
    database: DatabaseSettings = DatabaseSettings()
    quizzes: QuizSettings = QuizSettings()
    scoring: ScoringSettings = ScoringSettings()
    # group name (or platform group id) -> branch name; an unmapped group is a branch of its own name
    groups: dict[str, str] = {}
    timezone: str = "Asia/Shanghai"
    server: ServerSettings = ServerSettings()
    wecom: WeComSettings | None = None
    wechat_mp: WeChatMPSettings | None = None
    dingtalk: DingTalkSettings | None = None
    content: ContentSettings = ContentSettings()
    calendar: CalendarSettings = CalendarSettings()
    meetings: MeetingSettings = MeetingSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    points: PointsSettings = PointsSettings()
    summary: SummarySettings = SummarySettings()
    web: WebSettings = WebSettings()  # the dashboard (bot/web/)
    cluster: ClusterSettings = ClusterSettings()  # several instances on one PostgreSQL (docs/cluster.md)
    h5: H5Settings = H5Settings()  # the members' mobile pages (bot/web/h5/): branches on WeChat, contest links
    _moved = model_validator(mode="before")(moved_points_keys)  # scoring.daily_points … from older configs

    @field_validator("groups")
    @classmethod
    def _branch_names(cls, value: dict[str, str]) -> dict[str, str]:
        for group, branch in value.items():
            if problem := name_problem("支部名", branch):
                raise ValueError(f"groups 中群「{group}」对应的{problem}")
        return value

    @field_validator("timezone")
    @classmethod
    def _only_shanghai(cls, value: str) -> str:
        if value != "Asia/Shanghai":
            raise ValueError("studybot 统一使用 Asia/Shanghai 时区")
        return value

    @model_validator(mode="after")
    def _channels_complete(self) -> Settings:
        robot = self.wecom.robot if self.wecom else None
        if robot and robot.mode == "websocket" and not (robot.bot_id and robot.secret):
            raise ValueError("wecom.robot 长连接模式（mode: websocket）需要 bot_id 和 secret")
        if robot and robot.mode == "callback" and not (robot.token and robot.encoding_aes_key):
            raise ValueError("wecom.robot 回调模式（mode: callback）需要 token 和 encoding_aes_key")
        if self.wecom and self.wecom.app and not self.wecom.corp_id:
            raise ValueError("wecom.app 需要 wecom.corp_id（企业 ID）")
        if self.web.wecom_login and not (self.wecom and self.wecom.app):
            raise ValueError("web.wecom_login 需要 wecom.corp_id 和 wecom.app（自建应用的 agent_id、secret）")
        if self.web.dingtalk_login and not self.dingtalk:
            raise ValueError("web.dingtalk_login 需要 dingtalk 一节（client_id、client_secret）")
        if self.web.embed and not self.web.base_url.startswith("https://"):
            raise ValueError("web.embed 需要 https:// 的 web.base_url（嵌入页面的 Cookie 须为 Secure）")
        return self

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.quizzes.questions_per_contest > self.quizzes.max_questions:
            raise ValueError(f"quizzes.questions_per_contest（{self.quizzes.questions_per_contest}）不能大于 "
                             f"quizzes.max_questions（{self.quizzes.max_questions}）")
        return self

    def branch_for_group(self, group_id: str, group_name: str) -> str:
        return self.groups.get(group_id) or self.groups.get(group_name) or group_name
