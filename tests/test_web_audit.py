"""审计: a 管理员 reads who logged in and exported, who asked for and agreed to points by hand, and who changed an
attendance — newest first, from the tables that keep them; a 书记 is refused (the trail names every branch)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.clock import ManualClock
from bot.storage.attendance_log import set_attendance
from bot.storage.models import MeetingRow
from bot.storage.models_points import PointsRequest, PointsRequestChange
from tests.web_helpers import branch_ids, ids, login, web_app

NOW = datetime(2026, 3, 4, 10, 0)


def test_the_trail_shows_logins_exports_points_and_attendance(tmp_path: Path, database_url: str) -> None:
    app = web_app(tmp_path, ManualClock(NOW), database={"url": database_url})
    people, branches = ids(app), branch_ids(app)
    with app.db.session() as session:
        request = PointsRequest(member_id=people["张三"], branch_id=branches["第一支部"], amount=5,
                                category="service", reason="社区志愿服务", requested_by=people["张书记"],
                                requested_at=datetime(2026, 3, 2, 9))
        session.add(request)
        session.flush()
        session.add(PointsRequestChange(request_id=request.id, action="requested", by_id=people["张书记"],
                                        at=datetime(2026, 3, 2, 9)))
        meeting = MeetingRow(branch_id=branches["第一支部"], type_key="committee", start_at=datetime(2026, 3, 3, 14),
                             created_at=datetime(2026, 3, 1, 9))
        session.add(meeting)
        session.flush()
        set_attendance(session=session, meeting_id=meeting.id, member_id=people["李四"], status="leave",
                       reason="出差", recorded_by="张书记", changed_by="张书记", now=datetime(2026, 3, 3, 16))
        session.commit()
    admin = login(app, "老周")
    assert admin.get("/ranking/export.csv").status_code == 200
    page = admin.get("/audit")
    assert page.status_code == 200
    text = page.text
    order = [text.index(word) for word in ("导出", "登录管理后台", "考勤 缺席→请假", "提出积分申请")]
    assert order == sorted(order)  # newest first: the export, the login, then 3 March, then 2 March
    assert "编号 1：张三 5 分" in text and "会议 1：李四，出差" in text and "共 4 条" in text
    assert 'href="/audit"' in text  # the nav offers it to those who may read it
    secretary = login(app, "张书记")
    refused = secretary.get("/audit")
    assert refused.status_code == 403 and "张三" not in refused.text.split("</nav>")[-1]
    assert 'href="/audit"' not in secretary.get("/").text
    app.close()
