"""The monthly quota's arithmetic and the gathering of late card changes (issue 13), without a platform."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from helpers import T0
from sqlmodel import select

from bot.channels.dingtalk.quota import Quota
from bot.channels.dingtalk.tap_acks import MEMBERS_PER_UPDATE, LateCards
from bot.storage.branches import get_or_create_branch
from bot.storage.db import Database
from bot.storage.models import OutboxRow
from bot.storage.people import upsert_member


class Now:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def test_the_count_survives_a_restart_and_starts_again_with_the_month(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/q.db")
    db.create_schema()
    now = Now(T0.replace(day=28))
    quota = Quota(db=db, now=now, per_month=100)
    for _ in range(89):
        quota.count("/v1.0/card/instances")
    assert quota.figures() == (89, 89) and quota.cards_allowed()
    now.at += timedelta(days=1)
    again = Quota(db=db, now=now, per_month=100)  # a restart, the next day
    again.count("/v1.0/robot/groupMessages/send")
    assert again.figures() == (1, 90) and not again.cards_allowed()  # 90%: questions as text
    now.at = (T0.replace(day=1) + timedelta(days=40)).replace(day=1)  # the next month
    assert again.figures() == (0, 0) and again.cards_allowed()
    db.dispose()


def test_dingtalk_saying_the_quota_is_used_up_stops_cards_until_the_next_month(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/q.db")
    db.create_schema()
    now = Now(T0)
    quota = Quota(db=db, now=now, per_month=5000)
    quota.refused(Exception("/v1.0/card/instances: HTTP 403 Forbidden"))  # a permission: not the quota
    assert quota.cards_allowed()
    with db.session() as session:  # an admin with a WeCom account and a DingTalk one
        branch = get_or_create_branch(session=session, name="党委")
        upsert_member(session=session, name="钱管理", branch_id=branch.id, role="admin",
                      identities={"dingtalk": "staff-1", "wecom": "qian"}, now=T0)
        session.commit()
    quota.refused(Exception("/v1.0/card/instances: HTTP 403 ApiCountLimitForOrg"))
    quota.refused(Exception("/v1.0/robot/groupMessages/send: HTTP 403 ApiCountLimitForOrg"))  # told once
    assert not quota.cards_allowed()
    with db.session() as session:  # told privately on each channel the admin has, once
        notices = [(row.channel, row.chat_id) for row in session.exec(select(OutboxRow)).all()]
        assert sorted(notices) == [("dingtalk", "staff-1"), ("wecom", "qian")]
        assert "调用额度（5000 次）已用完" in session.exec(select(OutboxRow)).first().text
    now.at = (T0.replace(day=1) + timedelta(days=40)).replace(day=1)
    assert quota.cards_allowed()
    db.dispose()


def test_late_card_changes_go_as_one_update_per_card_and_none_near_the_quota(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path}/q.db")
    db.create_schema()
    quota = Quota(db=db, now=Now(T0), per_month=1000)
    scheduled: list[Any] = []
    sent: list[dict[str, Any]] = []

    async def send(body: dict[str, Any]) -> None:
        sent.append(body)

    def spawn(coro: Any) -> None:  # run the update at once
        try:
            coro.send(None)
        except StopIteration:
            pass

    late = LateCards(schedule=scheduled.append, send=send, spawn=spawn, quota=quota)
    for i in range(MEMBERS_PER_UPDATE + 1):
        late.add("card-1", f"u{i}", {"my_status": "已作答：A。", "answered": "true"})
    late.add("card-2", "u0", {"my_status": "已作答：B。", "answered": "true"})
    assert len(scheduled) == 1  # one flush for all of them
    scheduled.pop()()
    assert [(b["outTrackId"], len(b["privateData"])) for b in sent] == [
        ("card-1", MEMBERS_PER_UPDATE), ("card-1", 1), ("card-2", 1)]
    for _ in range(900):
        quota.count("/v1.0/card/instances")
    late.add("card-1", "u9", {"my_status": "已作答：A。", "answered": "true"})
    assert scheduled == []  # 90% of the quota: the card is not updated through the API
    db.dispose()
