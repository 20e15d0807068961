"""The 审计 page's rows: who did what, newest first, read from the tables that keep such records — dashboard logins,
exports, binding codes and binding requests (web_audit), points by hand (points_request_change) and attendance
changes (attendance_change). Nothing is recorded here: each stays where its own change is written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

__all__ = ["AuditRow", "audit_trail", "WEB_ACTIONS", "POINTS_ACTIONS"]

WEB_ACTIONS = {"login": "登录管理后台", "logout": "退出管理后台", "link": "取得登录链接", "export": "导出",
               "import": "导入", "bind": "绑定微信", "codes": "发放绑定码", "bind_ask": "申请绑定微信",
               "bind_yes": "同意绑定申请", "bind_no": "拒绝绑定申请"}
POINTS_ACTIONS = {"requested": "提出积分申请", "approved": "同意积分申请", "rejected": "退回积分申请",
                  "withdrawn": "撤回积分申请", "reversed": "撤销积分"}
_STATUS = {"": "缺席", "present": "出席", "leave": "请假", "observer": "列席"}


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    who: str
    what: str
    detail: str


# One UNION, ordered and paged in the database: the trail grows with every login and every 签到.
_TRAIL = text("""
SELECT at, who, kind, action, detail FROM (
  SELECT a.at AS at, COALESCE(m.name, '') AS who, 'web' AS kind, a.action AS action, a.detail AS detail
  FROM web_audit a LEFT JOIN member m ON m.id = a.member_id
  UNION ALL
  SELECT c.at, COALESCE(m.name, ''), 'points', c.action,
         '编号 ' || c.request_id || '：' || COALESCE(t.name, '') || ' ' || r.amount || ' 分'
         || CASE WHEN c.note != '' THEN '，' || c.note ELSE '' END
  FROM points_request_change c JOIN points_request r ON r.id = c.request_id
  LEFT JOIN member m ON m.id = c.by_id LEFT JOIN member t ON t.id = r.member_id
  UNION ALL
  SELECT c.changed_at, c.changed_by, 'attendance', c.old_status || '>' || c.new_status,
         '会议 ' || c.meeting_id || '：' || COALESCE(t.name, '')
         || CASE WHEN c.reason != '' THEN '，' || c.reason ELSE '' END
  FROM attendance_change c LEFT JOIN member t ON t.id = c.member_id
) AS trail ORDER BY at DESC LIMIT :limit OFFSET :offset""")
_COUNT = text("SELECT (SELECT COUNT(*) FROM web_audit) + (SELECT COUNT(*) FROM points_request_change)"
              " + (SELECT COUNT(*) FROM attendance_change)")


def audit_trail(session: Session, *, limit: int, offset: int) -> tuple[list[AuditRow], int]:
    """A page of the trail and how many rows it has in all."""
    rows = session.execute(_TRAIL, {"limit": limit, "offset": offset}).all()
    total = session.execute(_COUNT).scalar_one()
    return [AuditRow(_when(at), who, _what(kind, action), detail) for at, who, kind, action, detail in rows], total


def _when(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _what(kind: str, action: str) -> str:
    if kind == "web":
        return WEB_ACTIONS.get(action, action)
    if kind == "points":
        return POINTS_ACTIONS.get(action, action)
    old, _, new = action.partition(">")
    return f"考勤 {_STATUS.get(old, old)}→{_STATUS.get(new, new)}"
