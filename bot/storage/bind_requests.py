"""申请绑定: a member who has no binding code asks, from the WeChat bind page, to be bound to their roster entry; the
branch's 书记 or 委员 (or a 管理员) approves or refuses it on the dashboard. Approval binds the account exactly as a
code does (bind_codes.free_to_bind, attach), so the member's next visit is silent.

Asking is limited like the codes: a name not on the roster counts as a wrong try of the account (bind_codes'
FAIL_LIMIT in FAIL_MINUTES, shared with wrong codes), an account asks at most ASK_LIMIT times a day and has one
request pending at a time (a unique index), and a member has at most PENDING_PER_MEMBER requests waiting. Every
refusal stores nothing but a wrong try. Deciding reads the request through the viewer's scope in the SQL itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from bot.storage.bind_codes import (
    TOO_MANY,
    BindRefused,
    account_locked,
    attach,
    bound_member,
    free_to_bind,
    record_failure,
    rostered_named,
    unbound_members,
)
from bot.storage.models import Branch, Member
from bot.storage.models_web import BindRequest

__all__ = ["ASK_LIMIT", "PENDING_PER_MEMBER", "REQUEST_DAYS", "ChooseBranch", "PendingRequest", "Decided",
           "ask_binding", "pending_of_account", "pending_requests", "decide_request", "NOT_ON_ROSTER",
           "ALREADY_BOUND", "NOT_YOURS", "DECIDED"]

ASK_LIMIT = 3  # requests an account may send in a day
PENDING_PER_MEMBER = 3
REQUEST_DAYS = 14  # after which the same account may ask again (its old request lapses)
NOT_ON_ROSTER = "名册中没有这个姓名：请填写与名册一致的姓名（不含职务、称呼）；如确实不在名册中，请联系本支部书记。"
ALREADY_BOUND = "「{name}」已经绑定了微信号，不能再申请。如已更换微信，请联系本支部书记发放新的绑定码。"
ALREADY_ASKED = "您已在 {at} 申请绑定为「{name}」，正在等待书记审核，请勿重复提交。"
TOO_OFTEN = f"一天内最多提交 {ASK_LIMIT} 次绑定申请，请明天再试，或向本支部书记索取绑定码。"
CROWDED = "「{name}」已有多份绑定申请等待审核，请联系本支部书记。"
NOT_YOURS = "这份绑定申请不存在，或不属于您管理的支部：书记、委员只能审核本支部成员的申请。"
DECIDED = "这份绑定申请已经处理过了（{status}），无需再次操作。"
STATUS_WORDS = {"approved": "已同意", "refused": "已拒绝", "lapsed": "已失效", "pending": "待审核"}


class ChooseBranch(BindRefused):
    """Several rostered members have the name: the member picks their branch (its id and name) and asks again."""

    def __init__(self, choices: list[tuple[int, str]]) -> None:
        super().__init__("名册中有多位成员叫这个名字，请选择您所在的支部后再提交。")
        self.choices = choices


@dataclass(frozen=True)
class PendingRequest:
    id: int
    member_id: int
    name: str
    branch: str
    note: str
    asked_at: datetime


@dataclass(frozen=True)
class Decided:
    request_id: int
    member_id: int
    name: str
    branch: str
    approved: bool
    lapsed_others: int  # the member's other pending requests, refused with this approval
    openid: str  # the account that asked


def _branch_names(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.execute(select(Branch.id, Branch.name).where(col(Branch.id).in_(sorted(ids)))).all() if ids else []
    return {int(i): n for i, n in rows}


def _choose(session: Session, candidates: list[Member], branch_id: int | None) -> Member:
    if len(candidates) == 1:
        return candidates[0]
    chosen = [m for m in candidates if branch_id is not None and m.branch_id == branch_id]
    if len(chosen) == 1:
        return chosen[0]
    names = _branch_names(session, {m.branch_id for m in candidates if m.branch_id is not None})
    raise ChooseBranch(sorted(((i, n) for i, n in names.items()), key=lambda pair: pair[1]))


def pending_of_account(*, session: Session, openid: str, now: datetime) -> tuple[BindRequest, Member] | None:
    """The account's request still waiting (within REQUEST_DAYS), with its member."""
    row = session.execute(select(BindRequest, Member).join(Member, Member.id == BindRequest.member_id).where(
        BindRequest.openid == openid, BindRequest.status == "pending",
        BindRequest.asked_at > now - timedelta(days=REQUEST_DAYS))).first()
    return (row[0], row[1]) if row is not None else None


def ask_binding(*, session: Session, openid: str, name: str, note: str, branch_id: int | None,
                now: datetime) -> tuple[BindRequest, Member]:
    """Store a pending request of `openid` for the rostered member called `name` (in `branch_id` when several are),
    or BindRefused with the reason (ChooseBranch: which branches to choose from). The caller commits."""
    if account_locked(session=session, openid=openid, now=now):
        raise BindRefused(TOO_MANY)
    holder = bound_member(session=session, openid=openid)
    if holder is not None:
        raise BindRefused(f"这个微信号已绑定成员「{holder.name}」，无需申请：请回到群里重新点开链接。")
    waiting = pending_of_account(session=session, openid=openid, now=now)
    if waiting is not None:
        raise BindRefused(ALREADY_ASKED.format(at=f"{waiting[0].asked_at:%m月%d日 %H:%M}", name=waiting[1].name))
    asked = session.execute(select(func.count()).select_from(BindRequest).where(
        BindRequest.openid == openid, BindRequest.asked_at > now - timedelta(days=1))).scalar_one()
    if asked >= ASK_LIMIT:
        raise BindRefused(TOO_OFTEN)
    candidates = rostered_named(session=session, name=name)
    if not candidates:
        record_failure(session=session, subjects=[f"openid:{openid}"], now=now)
        raise BindRefused(NOT_ON_ROSTER)
    member = _choose(session, candidates, branch_id)
    assert member.id is not None
    if not unbound_members(session=session, members=[member]):
        raise BindRefused(ALREADY_BOUND.format(name=member.name))
    crowd = session.execute(select(func.count()).select_from(BindRequest).where(
        BindRequest.member_id == member.id, BindRequest.status == "pending",
        BindRequest.asked_at > now - timedelta(days=REQUEST_DAYS))).scalar_one()
    if crowd >= PENDING_PER_MEMBER:
        raise BindRefused(CROWDED.format(name=member.name))
    session.execute(update(BindRequest).where(BindRequest.openid == openid, BindRequest.status == "pending")  # type: ignore[arg-type]
                    .values(status="lapsed", decided_at=now))  # older than REQUEST_DAYS: it gives way
    request = BindRequest(openid=openid, member_id=member.id, note=note, asked_at=now)
    session.add(request)
    try:
        session.flush()
    except IntegrityError:  # the same account's other request won the race
        session.rollback()
        raise BindRefused("您的绑定申请已提交，正在等待书记审核，请勿重复提交。") from None
    return request, member


_PENDING = """
SELECT r.id, m.id, m.name, COALESCE(b.name, ''), r.note, r.asked_at
FROM bind_request r JOIN member m ON m.id = r.member_id LEFT JOIN branch b ON b.id = m.branch_id
WHERE r.status = 'pending' AND r.asked_at > :since AND m.branch_id = :branch AND {scope}
ORDER BY r.asked_at, r.id"""


def pending_requests(session: Session, *, branch_id: int, where: tuple[str, dict[str, object]],
                     now: datetime) -> list[PendingRequest]:
    """The branch's requests waiting, oldest first, as far as `where` (Scope.member_filter) lets the viewer see."""
    condition, params = where
    rows = session.execute(text(_PENDING.format(scope=condition)),
                           {"branch": branch_id, "since": now - timedelta(days=REQUEST_DAYS), **params}).all()
    return [PendingRequest(int(r[0]), int(r[1]), r[2], r[3], r[4], _when(r[5])) for r in rows]


def _when(value: object) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


_SCOPED = """
SELECT r.id FROM bind_request r JOIN member m ON m.id = r.member_id
WHERE r.id = :request AND m.branch_id = :branch AND {scope}"""


def decide_request(*, session: Session, request_id: int, branch_id: int, approve: bool, by: int,
                   where: tuple[str, dict[str, object]], now: datetime) -> Decided:
    """Approve (bind the account as a code would) or refuse the request, read through `where` (Scope.member_filter:
    another branch's secretary finds nothing); BindRefused with the reason, nothing changed. The caller commits."""
    condition, params = where
    found = session.execute(text(_SCOPED.format(scope=condition)),
                            {"request": request_id, "branch": branch_id, **params}).first()
    request = session.get(BindRequest, request_id) if found is not None else None
    member = session.get(Member, request.member_id) if request is not None else None
    if request is None or member is None or member.id is None:
        raise BindRefused(NOT_YOURS)
    if request.status != "pending" or request.asked_at <= now - timedelta(days=REQUEST_DAYS):
        raise BindRefused(DECIDED.format(status=STATUS_WORDS.get(request.status if request.status != "pending"
                                                                 else "lapsed", request.status)))
    branch = _branch_names(session, {branch_id}).get(branch_id, "")
    lapsed = 0
    if approve:
        if not member.rostered:
            raise BindRefused(f"「{member.name}」已不在名册中，不能绑定。")
        if not unbound_members(session=session, members=[member]):
            raise BindRefused(f"「{member.name}」已经绑定了微信号，这份申请无法同意。"
                              "如成员更换了微信，请为其重新发放绑定码。")
        holder = bound_member(session=session, openid=request.openid)
        if holder is not None:
            raise BindRefused(f"申请人的微信号已绑定成员「{holder.name}」，这份申请无法同意。")
        free_to_bind(session=session, openid=request.openid, member=member, may_move=False)
    decided = session.execute(update(BindRequest).where(BindRequest.id == request_id,  # type: ignore[arg-type]
                                                        BindRequest.status == "pending")
                              .values(status="approved" if approve else "refused", decided_at=now, decided_by=by))
    if decided.rowcount != 1:  # type: ignore[attr-defined]  # another 支委 decided it a moment ago
        session.rollback()
        raise BindRefused(DECIDED.format(status="刚刚由他人处理"))
    if approve:
        attach(session=session, openid=request.openid, member_id=member.id, replacing=[])
        lapsed = session.execute(update(BindRequest).where(BindRequest.member_id == member.id,  # type: ignore[arg-type]
                                                           BindRequest.status == "pending")
                                 .values(status="refused", decided_at=now, decided_by=by)).rowcount  # type: ignore[attr-defined]
    return Decided(request_id, member.id, member.name, branch, approve, int(lapsed or 0), request.openid)
