"""微信绑定 on the dashboard: a branch's rostered members, whether each is bound to a WeChat account (never which one),
and the state of their binding code — read with the viewer's scope as a WHERE condition (Scope.member_filter)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session

from bot.storage.bind_codes import WECHAT_MP

__all__ = ["BindingLine", "binding_lines"]


@dataclass(frozen=True)
class BindingLine:
    member_id: int
    name: str
    bound: bool
    code_expires: datetime | None  # the member's current code, if one was issued
    code_used: bool

    def code_state(self, now: datetime) -> str:
        if self.code_expires is None:
            return "未发放"
        if self.code_used:
            return "已使用"
        if self.code_expires <= now:
            return "已过期"
        return f"有效至 {self.code_expires:%Y-%m-%d %H:%M}"


_LINES = """
SELECT m.id, m.name,
       EXISTS (SELECT 1 FROM identity i WHERE i.member_id = m.id AND i.channel = :channel),
       c.expires_at, c.used_at IS NOT NULL
FROM member m LEFT JOIN bind_code c ON c.member_id = m.id
WHERE m.branch_id = :branch AND m.rostered = :yes AND {scope}
ORDER BY m.name, m.id"""


def binding_lines(session: Session, *, branch_id: int, where: tuple[str, dict[str, object]]) -> list[BindingLine]:
    condition, params = where
    rows = session.execute(text(_LINES.format(scope=condition)),
                           {"branch": branch_id, "channel": WECHAT_MP, "yes": True, **params}).all()
    return [BindingLine(int(r[0]), r[1], bool(r[2]), _when(r[3]), bool(r[4])) for r in rows]


def _when(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
