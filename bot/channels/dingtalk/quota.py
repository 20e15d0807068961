"""DingTalk's monthly API quota: every OpenAPI call but the access token's counts against the
organisation's quota (5,000 a month on the standard edition, `dingtalk.quota_per_month`).

`count` is called once per request, from any thread (openapi.py calls it where requests are made): the
day's count is raised in the database (table metered_call), so a restart keeps the month's figure.
Past 80% of the quota the admins (role admin) are told once a month, in private, through the outbox;
past 90%, or once DingTalk answers that the quota is used up (ApiCountLimitForOrg, 90020), questions
go as text instead of cards and members' cards are no longer updated through the API (what a card
costs), so the quota left is kept for the pushes that have no other way.

DingTalk also allows 20 calls a second per app per API (QpsLimitForAppkeyAndApi, a 403 like any
other): `count` paces each API to that, waiting in the calling thread (a reveal closing many groups'
cards at once)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import date, datetime

from sqlmodel import Session, select

from bot.storage.db import Database
from bot.storage.metered import DEGRADE_AT, WARN_AT, count_call, day_calls, month_calls
from bot.storage.models import Member
from bot.storage.outbox import Push, enqueue
from bot.storage.people import identities_of_members

__all__ = ["Quota", "WARN_AT", "DEGRADE_AT", "QUOTA_CODES"]

log = logging.getLogger(__name__)

QUOTA_CODES = ("ApiCountLimitForOrg", "90020")


class Quota:
    def __init__(self, *, db: Database, now: Callable[[], datetime], per_month: int, channel: str = "dingtalk") -> None:
        self._db, self._now, self.per_month, self._channel = db, now, per_month, channel
        self._lock = threading.Lock()
        self._day: date | None = None
        self._today = self._month = 0
        self._warned: str | None = None  # the month whose warning is written
        self._used_up: str | None = None  # the month DingTalk said the quota is used up

    def count(self, path: str) -> None:
        """One metered request, about to be made (one that may have arrived counts)."""
        now = self._now()
        with self._lock:
            self._roll(now.date())
            self._today += 1
            self._month += 1
            month = f"{now:%Y-%m}"
            warn = self._warned != month and self._month >= WARN_AT * self.per_month
            if warn:
                self._warned = month
            figures = (self._today, self._month)
        try:
            with self._db.session() as session:
                count_call(session=session, channel=self._channel, day=now.date())
                if warn:
                    self._warn_admins(session, now, figures[1])
                session.commit()
        except Exception:  # the count is kept in memory; a busy database must not stop a send
            log.warning("dingtalk: metered call to %s not recorded", path, exc_info=True)

    def figures(self) -> tuple[int, int]:
        """(today's calls, this month's calls)."""
        with self._lock:
            self._roll(self._now().date())
            return self._today, self._month

    def cards_allowed(self) -> bool:
        """Whether a card (or a card update through the API) may still be spent."""
        today, month = self.figures()
        return self._used_up != f"{self._now():%Y-%m}" and month < DEGRADE_AT * self.per_month

    def refused(self, error: object) -> None:
        """A failed call: when DingTalk says the organisation's quota is used up, no more cards this month."""
        if any(code in str(error) for code in QUOTA_CODES):
            now = self._now()
            month = f"{now:%Y-%m}"
            if self._used_up != month:
                log.error("dingtalk: the organisation's monthly API quota is used up; questions go as text")
                text = (f"❗ 钉钉开放接口本月的调用额度（{self.per_month} 次）已用完：机器人只能回复群里 @ 它的消息，"
                        "学习推送和会议提醒暂存，额度恢复（下个月或升级版本后）再发送。请联系钉钉管理员提高额度，"
                        "并核对配置 dingtalk.quota_per_month。")
                try:  # told once a month, on every channel an admin has (the key makes a second time nothing)
                    with self._db.session() as session:
                        self._tell_admins(session, now, "quota-used-up", text)
                        session.commit()
                except Exception:
                    log.warning("dingtalk: the admins could not be told of the used-up quota", exc_info=True)
            self._used_up = month

    def _roll(self, day: date) -> None:
        if self._day == day:
            return
        with self._db.session() as session:
            self._today = day_calls(session=session, channel=self._channel, day=day)
            self._month = month_calls(session=session, channel=self._channel, day=day)
        self._day = day

    def _warn_admins(self, session: Session, now: datetime, month_calls_: int) -> None:
        text = (f"⚠️ 钉钉开放接口本月已调用 {month_calls_} 次，超过月度额度 {self.per_month} 次的 80%。"
                f"达到 90% 后竞赛题目改为文字发送（不再使用卡片）；额度用完后机器人只能回复群里 @ 它的消息。"
                f"额度按自然月重置（dingtalk.quota_per_month）。")
        self._tell_admins(session, now, "quota", text)
        log.warning("dingtalk: %d of %d metered API calls used this month", month_calls_, self.per_month)

    def _tell_admins(self, session: Session, now: datetime, kind: str, text: str) -> None:
        """A private notice to every admin on every channel they have, once a month per `kind` (the outbox key)."""
        admins = [a for a in session.exec(select(Member.id).where(Member.role == "admin")).all() if a is not None]
        pushes = [Push(key=f"{kind}:{self._channel}:{now:%Y-%m}:{identity.member_id}:{identity.channel}",
                       kind="notice", channel=identity.channel, chat_id=identity.external_id, chat_name="私聊",
                       is_group=False, text=text, due_at=now)
                  for identity in identities_of_members(session=session, member_ids=admins)]
        if not pushes:
            log.warning("dingtalk: no admin to tell (%s)", kind)
        enqueue(session=session, pushes=pushes, now=now)
