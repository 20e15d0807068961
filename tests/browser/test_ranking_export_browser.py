"""排行 filtered in the browser to 本月 and one 支部, then 「Excel」 pressed: the file the browser downloads opens with
openpyxl and holds what `studybot rank --period month` says of that branch's members, in the same order."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
from typer.testing import CliRunner

from bot.cli import build_cli
from bot.cli.common import CliContext
from bot.clock import ManualClock
from bot.storage.points import award_points
from bot.web import build_web
from tests.browser.conftest import screenshot
from tests.web_helpers import branch_ids, ids, link_for, web_app

NOW = datetime(2026, 3, 4, 10, 0)


def test_the_filtered_ranking_downloads_as_studybot_rank_says(tmp_path: Path, serve: Any, phone_page: Any,
                                                                monkeypatch: Any) -> None:
    app = web_app(tmp_path, ManualClock(NOW))
    people = ids(app)
    with app.db.session() as session:
        for name, amount, when in (("张三", 12, NOW), ("李四", 7, NOW), ("钱七", 9, NOW),
                                   ("李四", 30, datetime(2026, 2, 10, 9))):  # February's: not in 本月
            award_points(session=session, member_id=people[name], amount=amount, reason="daily",
                         source=f"d:{name}:{when:%m}", now=when)
        session.commit()
    base = serve(build_web(app))
    phone_page.goto(base + link_for(app, "老周"))
    phone_page.get_by_role("button", name="进入管理后台").click()
    phone_page.wait_for_url(base + "/")
    phone_page.goto(base + "/ranking")
    phone_page.select_option("select[name=period]", "month")
    phone_page.select_option("select[name=branch]", str(branch_ids(app)["第一支部"]))
    phone_page.wait_for_function("() => !document.querySelector('#ranking-table').innerText.includes('钱七')")
    with phone_page.expect_download() as pressed:
        phone_page.get_by_role("link", name="Excel").click()
    download = pressed.value
    assert download.suggested_filename.endswith(".xlsx") and "个人排行" in download.suggested_filename
    saved = tmp_path / "downloaded.xlsx"
    download.save_as(saved)
    screenshot(phone_page, "dashboard-ranking-export-phone")
    sheet = openpyxl.load_workbook(saved).active
    downloaded = [(name, branch, points) for _, name, branch, points in sheet.iter_rows(min_row=2, values_only=True)]

    monkeypatch.chdir(tmp_path)
    config = tmp_path / "studybot.yaml"
    config.write_text(f"database:\n  url: {app.settings.database.url}\n", encoding="utf-8")
    result = CliRunner().invoke(build_cli(), ["rank", "--period", "month", "--format", "json", "--limit", "0",
                                              "--config", str(config)], obj=CliContext(ManualClock(NOW)))
    assert result.exit_code == 0, result.output
    said = [(r["name"], r["branch"], r["points"]) for r in json.loads(result.stdout) if r["branch"] == "第一支部"]
    assert downloaded == said
    assert ("李四", "第一支部", 7) in downloaded  # February's 30 stayed out of 本月
