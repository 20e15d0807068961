"""A trial's roster: `studybot run` on the local chat with nobody on the roster imports the bundled sample roster
(content/roster/示例名册.csv), so a newcomer's `scripts/start` has 书记, 委员, 正式 and 预备 党员 in two branches and
a 管理员 whose dashboard link it prints — scored contests, rankings and the dashboard work at once. Never with a
platform configured (a real organisation's database), nor over a roster that exists."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import col, select

import content
from bot.app import App
from bot.services.roster import import_roster
from bot.services.roster_file import read_roster_file
from bot.storage.models import Member

__all__ = ["SAMPLE_ROSTER", "import_sample_roster"]

SAMPLE_ROSTER = Path(content.__file__).resolve().parent / "roster" / "示例名册.csv"


def import_sample_roster(app: App) -> str:
    """Import the sample roster when nobody is on the roster yet; what to tell the user ("" when nothing was done)."""
    with app.db.session() as session:
        if session.exec(select(Member.id).where(col(Member.rostered).is_(True)).limit(1)).first() is not None:
            return ""
    read = read_roster_file(SAMPLE_ROSTER)
    import_roster(app.db, rows=read.rows, now=app.clock.now(), label=SAMPLE_ROSTER.name)
    app.dispatcher.forget_directory()
    return (f"名册为空，已导入示例名册（{len(read.rows)} 人，第一、第二党支部和机关党委；张三为第一党支部书记，"
            "老周为管理员），供试用。"
            "正式使用前请用 studybot members import 导入本单位名册。")
